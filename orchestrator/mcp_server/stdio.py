"""`warren mcp`'s server: Warren's tools over stdin/stdout, as one API key at one Warren URL.

The key is checked once before the MCP session starts, so a wrong key or an unreachable server ends
the command with one error line instead of an MCP server whose every call fails.
"""

from __future__ import annotations

import httpx
from mcp.server.stdio import stdio_server

from orchestrator.mcp_server.api import WarrenApi
from orchestrator.mcp_server.server import build_server

__all__ = ["REQUEST_TIMEOUT_S", "serve_stdio"]

REQUEST_TIMEOUT_S = 60.0
"""Timeout of one API request (**seconds**); waits for a run are many short reads."""


async def serve_stdio(url: str, api_key: str) -> None:
    """Serve MCP on stdin/stdout until the client closes it.

    Raises:
        ApiRefusal: the server refused the key (401) or is rate limiting it (429).
        ApiUnreachable: no Warren server answers at `url`.
    """
    async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=REQUEST_TIMEOUT_S) as http:
        api = WarrenApi(http, api_key)
        await api.check_key()
        server = build_server(lambda _ctx: api)
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
