"""A model-form interaction's one turn, run here in the orchestrator through the gateway.

The stored request (system instruction, client function declarations, generation config) and the
conversation so far become one neutral `ModelRequest`; the recorder turns the model's stream into
steps and events. The turn pauses as `requires_action` when the model calls a client function. With
`code_execution`, the model's `run_code` calls run in a sandbox (`CodeSandboxes`), recorded as
`code_execution_call` / `code_execution_result` steps, and the model is called again with the results.
With `url_context` / `google_search`, the model's calls of those tools run here through `WebTools`
(the egress policy decides each URL), recorded as `<tool>_call` / `<tool>_result` steps; the wire
result holds each URL's status (or the search results as text), and the model reads the pages' text
in this interaction only (later turns see the statuses, and may fetch again). With `mcp_server`
tools, their servers are listed when the turn starts (`mcp_tools.McpToolset`) and the model's calls
of `<server>__<tool>` run here too, recorded as `mcp_server_tool_call` / `mcp_server_tool_result`.
"""

from __future__ import annotations

from typing import Any

from agents.model_types import ModelRequest, ToolCallPart
from agents.tools.declarations import CODE_TOOL, builtin_declarations
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.interactions.client_tools import client_functions
from orchestrator.interactions.code_ports import CodeSandboxes, CodeSession
from orchestrator.interactions.history import to_messages
from orchestrator.interactions.model_settings import final_status, generation_config
from orchestrator.interactions.recorder import Recorder
from orchestrator.interactions.web_tools import WebTools
from orchestrator.mcp_tools import McpClient, McpServerSpec, McpToolset
from orchestrator.observability.calls import observed
from orchestrator.store.interactions import InteractionRecord

__all__ = ["MAX_CODE_ROUNDS", "model_request", "run_model_turn"]

Step = dict[str, Any]
MAX_CODE_ROUNDS = 16
"""Model calls of one model-form interaction with server tools; then it ends `incomplete`."""


def model_request(request: dict[str, Any], history: list[Step]) -> ModelRequest:
    """The neutral model request for a stored wire request and the conversation so far."""
    return ModelRequest(
        system=request.get("system_instruction"),
        messages=to_messages(history),
        tools=client_functions(request),
        config=generation_config(request),
    )


async def run_model_turn(
    gateway: ProviderRegistry,
    record: InteractionRecord,
    recorder: Recorder,
    history: list[Step],
    code: CodeSandboxes | None = None,
    web: WebTools | None = None,
    mcp: McpClient | None = None,
) -> str:
    """Run the turn and return the interaction's status after it.

    With a `code_execution` tool (and `code`), each `run_code` call the model makes runs in the
    interaction's sandbox and its result goes back to the model, up to `MAX_CODE_ROUNDS` times;
    likewise each call of an enabled web tool (`web`) and of an MCP server's tool (`mcp`).

    Raises:
        GatewayError: the provider failed.
        McpError: an `mcp_server` tool's server could not be listed.
    """
    provider = gateway.resolve(str(record.model))
    wants_code = any(tool.get("type") == "code_execution" for tool in record.request.get("tools") or [])
    session = code.session(record.tenant) if wants_code and code is not None else None
    kinds = {tool.get("type") for tool in record.request.get("tools") or []}
    web_names = web.enabled(kinds) if web is not None else []
    toolset = await _mcp_toolset(mcp, record.request)
    recorder.mcp_names = dict(toolset.names)
    steps = list(history)
    try:
        for _ in range(MAX_CODE_ROUNDS):
            request = model_request(record.request, steps)
            if session is not None:
                request.tools.extend(builtin_declarations([CODE_TOOL]))
            request.tools.extend(WebTools.declarations(web_names))
            request.tools.extend(toolset.declarations)
            before = len(recorder.steps)
            # the caller ends the interaction and stores the last turn with the final status, at once
            events = observed(provider.name, provider.stream(request))
            response = await recorder.model_turn(events, flush=False)
            steps += recorder.steps[before:]
            calls = [part for part in response.parts if isinstance(part, ToolCallPart)]
            ran = [
                c
                for c in calls
                if (c.name == CODE_TOOL and session is not None)
                or c.name in web_names
                or toolset.owns(c.name)
            ]
            for call in ran:
                if toolset.owns(call.name):
                    step, _ = await toolset.run(call)
                    await recorder.step(step, flush=False)
                    steps.append(step)
                elif call.name == CODE_TOOL and session is not None:
                    steps.append(await _run_code(session, call, recorder))
                elif web is not None:
                    steps.append(await _run_web(web, call, recorder))
            if len(ran) < len(calls):
                return "requires_action"
            if not ran:
                return await final_status(response, request.config)
            await recorder.flush()
        return "incomplete"  # still running code after MAX_CODE_ROUNDS model calls
    finally:
        if session is not None:
            await session.close()


async def _mcp_toolset(mcp: McpClient | None, request: dict[str, Any]) -> McpToolset:
    """The request's MCP tools, listed now (none without `mcp_server` tools or an `McpClient`)."""
    if mcp is None:
        return McpToolset()
    return await McpToolset.open(mcp, McpServerSpec.parse_all(request.get("tools") or [], "tools"))


async def _run_code(session: CodeSession, call: ToolCallPart, recorder: Recorder) -> Step:
    """Run one `run_code` call and record its `code_execution_result` step."""
    output = await session.run(call.arguments)
    step: Step = {"type": "code_execution_result", "call_id": call.id, "result": output.output}
    if output.is_error:
        step["is_error"] = True
    await recorder.step(step, flush=False)
    return step


async def _run_web(web: WebTools, call: ToolCallPart, recorder: Recorder) -> Step:
    """Run one web tool call, record its `<tool>_result` step; the returned step holds the text."""
    output = await web.run(call.name, call.arguments)
    step: Step = {"type": f"{call.name}_result", "call_id": call.id, "result": output.result}
    if output.is_error:
        step["is_error"] = True
    await recorder.step(step, flush=False)
    return {**step, "result": output.text}  # what the model reads next, kept out of the stored step
