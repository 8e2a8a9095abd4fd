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
The SDK's side, the session and its transport, is `session.py`, imported at the first listing or
call: the SDK costs every `warren serve` start ~0.45 s otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.egress.pinned import Refusal, resolve
from orchestrator.egress.policy import Resolver
from orchestrator.mcp_tools.spec import McpServerSpec

if TYPE_CHECKING:
    import ssl

    from mcp import Client

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
        from orchestrator.mcp_tools import session  # the MCP SDK, at the first listing or call only

        async with self._client(spec, self.limits.list_s) as client:
            tools: list[McpTool] = []
            cursor: str | None = None
            for _ in range(16):  # pages; a server that never stops paging cannot hold the turn
                page = await client.list_tools(cursor=cursor)
                tools += [session.tool_of(t) for t in page.tools if spec.allows(t.name)]
                cursor = page.next_cursor
                if cursor is None or len(tools) >= self.limits.max_tools:
                    break
            return tools[: self.limits.max_tools]

    async def call(self, spec: McpServerSpec, tool: str, arguments: dict[str, Any]) -> McpOutput:
        """Call `tool`; a tool's own failure is an `is_error` output.

        Raises:
            McpError: as for `list_tools` (the caller shows the model the message).
        """
        from orchestrator.mcp_tools import session

        async with self._client(spec, self.limits.call_s) as client:
            result = await client.call_tool(tool, arguments)
        content = session.content_of(result, self.limits.max_text, session.scrubber(spec))
        return McpOutput(content, bool(result.is_error))

    @asynccontextmanager
    async def _client(self, spec: McpServerSpec, deadline_s: float) -> AsyncIterator[Client]:
        from orchestrator.mcp_tools import session

        target = await resolve(spec.url, self.resolver)
        if isinstance(target, Refusal):
            raise McpError(f"refused by the egress address policy before connecting: {target.reason}")
        if self._tls is None:
            self._tls = session.tls_context()
        async with session.open_session(spec, target, self.limits, deadline_s, self._tls) as client:
            yield client
