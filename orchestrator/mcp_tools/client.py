"""Talking to one MCP server from the orchestrator: list its tools, call one, bounded and pinned.

Every connection is decided first by the egress address rules (`egress.pinned.resolve`: the URL's
own host and port, every resolved address checked; loopback, private, link-local and this host's
addresses only where the operator allowed them, `WARREN_EGRESS_ALLOW_ADDRESSES`), then made to the
checked address only (`_PinnedTransport`: the name keeps its `Host` header and TLS server name, so
a name that re-resolves elsewhere cannot redirect it, and no request leaves for another origin).
The MCP SDK's streamable-HTTP client runs over that transport with the tool's `headers`; a
session is opened per listing and per call, so a server that dies fails one call, nothing more.
Bounded: a deadline per listing and per call, the bytes of every answer, the tools listed.
Errors are short and never carry a header (its values are scrubbed from whatever comes back).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import mcp_types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from orchestrator.egress.pinned import Refusal, Target, resolve
from orchestrator.egress.policy import Resolver
from orchestrator.mcp_tools.spec import McpServerSpec

__all__ = ["McpClient", "McpError", "McpLimits", "McpOutput", "McpTool"]


@dataclass(frozen=True)
class McpLimits:
    """How long and how much one server may take."""

    connect_s: float = 5.0
    list_s: float = 15.0
    """Connecting, the handshake and the whole listing."""
    call_s: float = 60.0
    """Connecting, the handshake and one tool call."""
    max_bytes: int = 2 << 20
    """Bytes of one HTTP answer (a listing page, a call's result)."""
    max_tools: int = 128
    """Tools kept from one server's listing."""
    max_text: int = 100_000
    """Characters of a call's text handed to the model."""


@dataclass(frozen=True)
class McpTool:
    """One tool a server lists."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class McpOutput:
    """What one call gave back: the wire result's content, and whether the tool failed."""

    content: list[dict[str, Any]] = field(default_factory=list)
    """Text and image blocks, as in a `function_result`'s `result`."""
    is_error: bool = False


class McpError(Exception):
    """The server could not be reached, refused, timed out or answered badly; the message is safe."""


class McpClient:
    """Lists and calls the tools of `mcp_server` tools, under the egress address rules."""

    def __init__(self, resolver: Resolver, limits: McpLimits | None = None) -> None:
        self.resolver = resolver
        self.limits = limits or McpLimits()
        self._tls: ssl.SSLContext | None = None  # made once (loading the CA bundle takes milliseconds)

    async def list_tools(self, spec: McpServerSpec) -> list[McpTool]:
        """The server's tools `allowed_tools` lets through (at most `max_tools`).

        Raises:
            McpError: refused by the address rules, unreachable, too slow or a bad answer.
        """
        async with self._client(spec, self.limits.list_s) as client:
            tools: list[McpTool] = []
            cursor: str | None = None
            for _ in range(16):  # pages; a server that never stops paging cannot hold the turn
                page = await client.list_tools(cursor=cursor)
                tools += [_tool(t) for t in page.tools if spec.allows(t.name)]
                cursor = page.next_cursor
                if cursor is None or len(tools) >= self.limits.max_tools:
                    break
            return tools[: self.limits.max_tools]

    async def call(self, spec: McpServerSpec, tool: str, arguments: dict[str, Any]) -> McpOutput:
        """Call `tool`; a tool's own failure is an `is_error` output.

        Raises:
            McpError: as for `list_tools` (the caller shows the model the message).
        """
        async with self._client(spec, self.limits.call_s) as client:
            result = await client.call_tool(tool, arguments)
        return McpOutput(_content(result, self.limits.max_text, _scrubber(spec)), bool(result.is_error))

    @asynccontextmanager
    async def _client(self, spec: McpServerSpec, deadline_s: float) -> AsyncIterator[Client]:
        target = await resolve(spec.url, self.resolver)
        if isinstance(target, Refusal):
            raise McpError(f"refused by the egress address policy before connecting: {target.reason}")
        scrub = _scrubber(spec)
        timeout = httpx2.Timeout(deadline_s, connect=self.limits.connect_s)
        if self._tls is None:
            self._tls = httpx2.create_ssl_context(trust_env=False)
        transport = _PinnedTransport(target, self.limits.max_bytes, self._tls)
        http_client = httpx2.AsyncClient(
            headers=dict(spec.headers), timeout=timeout, transport=transport, trust_env=False
        )
        try:
            async with (
                asyncio.timeout(deadline_s),
                http_client as http,
                Client(streamable_http_client(spec.url, http_client=http), cache=None) as client,
            ):
                yield client
        except TimeoutError:
            raise McpError(f"no answer within {deadline_s:g} s") from None
        except McpError:
            raise
        except Exception as exc:  # the SDK's task groups raise groups; the leaf says what happened
            raise McpError(scrub(_describe(exc))) from None


class _PinnedTransport(httpx2.AsyncBaseTransport):
    """Sends every request to the checked address, only for the checked origin, answers capped."""

    def __init__(self, target: Target, max_bytes: int, tls: ssl.SSLContext) -> None:
        self._target = target
        self._max_bytes = max_bytes
        self._inner = httpx2.AsyncHTTPTransport(verify=tls, trust_env=False)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url, target = request.url, self._target
        port = url.port or (443 if url.scheme == "https" else 80)
        if url.host.strip("[]").lower() != target.host.strip("[]").lower() or port != target.port:
            raise httpx2.ConnectError("a request for another origin than the checked server", request=request)
        request.url = url.copy_with(host=target.address)
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": target.host}
        response = await self._inner.handle_async_request(request)
        response.stream = _Capped(response.stream, self._max_bytes)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Capped(httpx2.AsyncByteStream):
    """An answer's body that fails past `limit` bytes."""

    def __init__(self, inner: Any, limit: int) -> None:
        self._inner, self._limit = inner, limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise McpError(f"the server's answer is larger than {self._limit} bytes")
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _tool(tool: mcp_types.Tool) -> McpTool:
    schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
    return McpTool(tool.name, (tool.description or "")[:2000], schema or {"type": "object", "properties": {}})


def _content(
    result: mcp_types.CallToolResult, max_text: int, scrub: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The result's blocks as wire content: text and images; other blocks named in text."""
    blocks: list[dict[str, Any]] = []
    budget = max_text
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            text = scrub(block.text[: max(budget, 0)])
            budget -= len(text)
            blocks.append({"type": "text", "text": text})
        elif isinstance(block, mcp_types.ImageContent):
            blocks.append({"type": "image", "mime_type": block.mime_type, "data": block.data})
        else:
            blocks.append({"type": "text", "text": f"[{block.type} content, not shown]"})
    if not blocks and result.structured_content is not None:
        blocks.append({"type": "text", "text": scrub(json.dumps(result.structured_content)[:max_text])})
    return blocks or [{"type": "text", "text": ""}]


def _scrubber(spec: McpServerSpec) -> Callable[[str], str]:
    """Replaces the tool's header values (of 4 characters or more) wherever they come back."""
    secrets = sorted((v for v in spec.headers.values() if len(v) >= 4), key=len, reverse=True)

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "[header value]")
        return text

    return scrub


def _describe(exc: BaseException) -> str:
    """The innermost error of an exception group (or chain), in a bounded line."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, McpError):
        return str(exc)
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
