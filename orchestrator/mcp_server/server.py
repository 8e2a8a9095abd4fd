"""The MCP server: Warren's tools listed and called through one `ApiFor`, over any MCP transport.

`build_server(api_for)` makes the SDK's low-level `Server` (no decorators, no global logging set-up):
`tools/list` answers `TOOLS`, `tools/call` runs `verbs.call_tool` with the `WarrenApi` that
`api_for(ctx)` gives for the request (the one key of `warren mcp`, or the key an HTTP request sent).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext

from orchestrator import __version__
from orchestrator.mcp_server.api import WarrenApi
from orchestrator.mcp_server.tools import TOOL_SCHEMAS, TOOLS
from orchestrator.mcp_server.verbs import ToolFailure, call_tool

__all__ = ["INSTRUCTIONS", "ApiFor", "build_server"]

ApiFor = Callable[[ServerRequestContext[Any, Any]], WarrenApi]
"""The API client for one MCP request, authenticated as that request's caller."""

INSTRUCTIONS = (
    "Warren runs agents in isolated sandboxes. Hand a task to one with warren_start_run, follow it with "
    "warren_get_run, read what it made with warren_list_files and warren_read_file, and give it a "
    "follow-up with warren_continue_run."
)


def _answer(result: dict[str, Any], *, is_error: bool = False) -> types.CallToolResult:
    text = json.dumps(result, indent=1, ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(text=text)], structured_content=result, is_error=is_error
    )


def build_server(api_for: ApiFor) -> Server[Any]:
    """The MCP server of Warren's tools, each call made as the caller `api_for` names."""

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=TOOLS)

    async def call(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            result = await call_tool(api_for(ctx), params.name, dict(params.arguments or {}))
        except ToolFailure as exc:
            return _answer({"error": str(exc)}, is_error=True)
        return _answer(result)

    return Server(
        "warren",
        version=__version__,
        title="Warren",
        description="Hand work to agents in Warren's sandboxes.",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=TOOL_SCHEMAS.get,
        on_list_tools=list_tools,
        on_call_tool=call,
    )
