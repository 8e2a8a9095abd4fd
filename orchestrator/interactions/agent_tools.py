"""The tools the orchestrator runs for an agent: its `mcp_server` tools, and `url_context`.

The runner runs the sandbox's built-ins; these run in the orchestrator, through the hub
(`channel.steps`), so the sandbox never holds what they need: an MCP server's URL and headers, or a
route to the web. `agent_tools` lists the servers when the turn starts: the request's `mcp_server`
tools if it names any, else its agent's (they add to the built-ins, never replace them). With a
`url_context` tool type on the request (else on its agent) and an operator URL allowlist
(`WARREN_MODEL_URL_ALLOWLIST`, as in the model form), the model may also call `url_context(urls)`,
recorded as `url_context_call` / `url_context_result`, beside the sandbox's `browser`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.model_types import ToolCallPart, ToolDeclaration, ToolResultPart
from orchestrator.errors import InvalidArgument
from orchestrator.interactions.web_tools import WebTools
from orchestrator.mcp_tools import McpClient, McpError, McpServerSpec, McpToolset

__all__ = ["AgentTools", "agent_tools"]

Step = dict[str, Any]


@dataclass
class AgentTools:
    """One agent interaction's orchestrator-run tools (a `channel.ports.ServerTools`)."""

    mcp: McpToolset = field(default_factory=McpToolset)
    web: WebTools | None = None
    web_names: list[str] = field(default_factory=list)

    @property
    def declarations(self) -> list[ToolDeclaration]:
        """The MCP tools' and the web tools' declarations."""
        return [*self.mcp.declarations, *WebTools.declarations(self.web_names)]

    def owns(self, name: str) -> bool:
        """Whether the orchestrator runs a call of `name`."""
        return self.mcp.owns(name) or name in self.web_names

    def __bool__(self) -> bool:
        return bool(self.mcp.names or self.web_names)

    async def run(self, call: ToolCallPart) -> tuple[Step, ToolResultPart]:
        """Run one call: its wire result step, and what the model reads."""
        if self.mcp.owns(call.name):
            return await self.mcp.run(call)
        assert self.web is not None
        output = await self.web.run(call.name, call.arguments)
        step: Step = {"type": f"{call.name}_result", "call_id": call.id, "result": output.result}
        if output.is_error:
            step["is_error"] = True
        part = ToolResultPart(call_id=call.id, name=call.name, output=output.text, is_error=output.is_error)
        return step, part


async def agent_tools(
    mcp: McpClient | None, web: WebTools | None, request: dict[str, Any], chain: list[dict[str, Any]]
) -> AgentTools:
    """The interaction's orchestrator-run tools, its MCP servers listed now.

    Raises:
        McpError: a server could not be listed, or a request's function takes the agent's server's
            prefix (each was checked alone at create).
    """
    requested, agents = request.get("tools") or [], chain[0].get("tools") or []
    servers = [t for t in requested if t.get("type") == "mcp_server"]
    servers = servers or [t for t in agents if t.get("type") == "mcp_server"]
    kinds = {t.get("type") for t in requested if t.get("type") not in ("function", "mcp_server")}
    kinds = kinds or {t.get("type") for t in agents}
    web_names = [name for name in (web.enabled(kinds) if web is not None else []) if name == "url_context"]
    toolset = McpToolset()
    if mcp is not None and servers:
        functions = [t for t in [*requested, *agents] if t.get("type") == "function"]
        try:
            specs = McpServerSpec.parse_all([*servers, *functions], "tools")
        except InvalidArgument as exc:  # checked at create; only an agent's and a request's can clash
            raise McpError(f"the mcp_server tools cannot be offered: {exc.message}") from None
        toolset = await McpToolset.open(mcp, specs)
    return AgentTools(toolset, web, web_names)
