"""One session with an MCP server over the MCP SDK's streamable-HTTP client, pinned to the address
the egress rules checked and bounded: the SDK's side of `client.McpClient`, imported at a server's
first MCP listing or call (the SDK costs every `warren serve` start ~0.45 s otherwise).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import mcp_types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from orchestrator.egress.pinned import Target
from orchestrator.mcp_tools.client import McpError, McpLimits, McpTool
from orchestrator.mcp_tools.spec import McpServerSpec

__all__ = ["content_of", "open_session", "scrubber", "tls_context", "tool_of"]


def tls_context() -> ssl.SSLContext:
    """The TLS settings of every connection (loading the CA bundle takes milliseconds: made once)."""
    return httpx2.create_ssl_context(trust_env=False)


@asynccontextmanager
async def open_session(
    spec: McpServerSpec, target: Target, limits: McpLimits, deadline_s: float, tls: ssl.SSLContext
) -> AsyncIterator[Client]:
    """A session with `spec`'s server at the checked `target`, ended within `deadline_s`.

    Raises:
        McpError: unreachable, too slow or a bad answer (the message scrubbed of header values).
    """
    scrub = scrubber(spec)
    timeout = httpx2.Timeout(deadline_s, connect=limits.connect_s)
    transport = _PinnedTransport(target, limits.max_bytes, tls)
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


def tool_of(tool: mcp_types.Tool) -> McpTool:
    schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
    return McpTool(tool.name, (tool.description or "")[:2000], schema or {"type": "object", "properties": {}})


def content_of(
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


def scrubber(spec: McpServerSpec) -> Callable[[str], str]:
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
