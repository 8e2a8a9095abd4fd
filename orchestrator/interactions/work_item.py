"""What an agent interaction asks of its runner: the model, the instructions, the tools, the budgets.

The request's own settings win over its agent's, and the agent's over those of its `base_agent`
chain; the server's budgets are the defaults. The model is offered the request's client functions
and the agent's, and the built-ins the request's tool types enable (else the agent's).
"""

from __future__ import annotations

from typing import Any

from agents.protocol import Budget, WorkItem
from agents.tools.declarations import BROWSER_TOOL, BUILTIN_TOOL_NAMES, CODE_TOOLS
from orchestrator.catalog import merged
from orchestrator.interactions.approvals import approval_rules
from orchestrator.interactions.client_tools import client_functions
from orchestrator.interactions.model_settings import agent_config
from orchestrator.store.interactions import InteractionRecord

__all__ = ["DEFAULT_MODEL", "model_of", "work_item"]

DEFAULT_MODEL = "scripted:demo"
_NOT_BUILTIN = ("function", "mcp_server")
_TOOLS_BY_WIRE_TYPE = {
    "code_execution": CODE_TOOLS,
    "url_context": (BROWSER_TOOL,),
    "google_search": (BROWSER_TOOL,),
}


def model_of(request: dict[str, Any], chain: list[dict[str, Any]]) -> str:
    """The model an agent interaction uses: the request's, else the agent chain's, else the default."""
    config = request.get("agent_config") or {}
    return str(config.get("model") or (merged(chain, "agent_config") or {}).get("model") or DEFAULT_MODEL)


def work_item(record: InteractionRecord, chain: list[dict[str, Any]], defaults: Budget) -> WorkItem:
    """The runner's work for one interaction: instructions, tools and budgets, the request over the agent."""
    request = record.request
    instructions = [spec["system_instruction"] for spec in reversed(chain) if spec.get("system_instruction")]
    if request.get("system_instruction"):
        instructions.append(request["system_instruction"])
    functions = client_functions({"tools": _function_tools(request, chain)})
    config = {**(merged(chain, "agent_config") or {}), **(request.get("agent_config") or {})}
    max_tokens = config.get("max_total_tokens")
    budget = Budget(
        max_steps=int(config.get("max_steps") or defaults.max_steps),
        max_total_tokens=int(max_tokens) if max_tokens else defaults.max_total_tokens,
        max_wall_s=float(config.get("max_wall_seconds") or defaults.max_wall_s),
    )
    return WorkItem(
        interaction_id=record.id,
        system="\n\n".join(instructions) or None,
        tools=functions,
        builtin_tools=_builtin_tools(request, chain),
        client_tools=[t.name for t in functions],
        budget=budget,
        config=agent_config(request),
        approval_rules=approval_rules(request, chain),
    )


def _function_tools(request: dict[str, Any], chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The request's client functions, then the agent's that the request does not redefine."""
    mine = [t for t in request.get("tools") or [] if t.get("type") == "function"]
    names = {t.get("name") for t in mine}
    agents = [
        t for t in chain[0].get("tools") or [] if t.get("type") == "function" and t.get("name") not in names
    ]
    return mine + agents


def _builtin_tools(request: dict[str, Any], chain: list[dict[str, Any]]) -> list[str]:
    """The built-ins the request's wire tool types enable, if it names any; else the agent's the same
    way; all of them for an agent that declares no tools. Functions and `mcp_server` tools enable no
    built-in (the orchestrator runs MCP tools: `agent_mcp`), so naming only those keeps them all."""
    requested = [t for t in request.get("tools") or [] if t.get("type") not in _NOT_BUILTIN]
    agents = [t for t in chain[0].get("tools") or [] if t.get("type") not in _NOT_BUILTIN]
    declared = requested or (agents if chain[0].get("id") != "default" else None)
    if not declared:
        return list(BUILTIN_TOOL_NAMES)
    names: list[str] = []
    for tool in declared:
        names += [n for n in _TOOLS_BY_WIRE_TYPE.get(tool.get("type", ""), ()) if n not in names]
    return names
