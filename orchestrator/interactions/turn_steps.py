"""One model turn in wire form: live step events while it streams, the assembled steps at its end.

The gateway streams neutral events (thought and text deltas, tool calls, the final response); SSE
subscribers see them as `step.start` / `step.delta` / `step.stop` events as they arrive, and `get`
returns the turn as whole steps assembled from the final response. Both forms are made here, so
the two always agree on step types and indices; the `Recorder` stores and numbers what this makes.

A vendor signature on model text (Gemini 3 signs a text answer) becomes a signature-only `thought`
step at the end of the turn, the wire's place for signatures: a text signature arrives only with
the stream's last piece, after the text's step was announced. `history` puts it back on the text.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from agents.model_types import (
    ModelResponse,
    ResponseDone,
    StreamEvent,
    TextDelta,
    ThoughtDelta,
    ToolCallEvent,
    ToolCallPart,
    Usage,
)
from agents.tools.declarations import CODE_TOOL
from orchestrator.interactions.live import Event
from orchestrator.interactions.web_tools import WEB_TOOLS
from orchestrator.mcp_tools import call_step_of

__all__ = [
    "EventSink",
    "add_usage",
    "arguments_json",
    "assembled_steps",
    "call_step",
    "stream_turn",
    "text_signatures",
]

Step = dict[str, Any]
McpNames = Mapping[str, tuple[str, str]]
"""The interaction's MCP tools: model-facing name -> (server name, tool name)."""


class EventSink(Protocol):
    """Where a streaming turn's events go, and the index its next step takes (the `Recorder`)."""

    index: int

    @property
    def mcp_names(self) -> McpNames:
        """The interaction's MCP tools (their calls become `mcp_server_tool_call` steps)."""
        ...

    async def event(self, event_type: str, **payload: Any) -> Event:
        """Append one SSE event to the live log."""
        ...


def call_step(call: ToolCallPart, mcp_names: McpNames | None = None) -> Step:
    """The wire step of a model's tool call (`run_code` is a code execution on the wire, the web
    tools are their own `url_context_call` / `google_search_call`, an MCP tool (one of `mcp_names`)
    an `mcp_server_tool_call` with its server's and its own name)."""
    if mcp_names and call.name in mcp_names:
        step: Step = call_step_of(call, *mcp_names[call.name])
    elif call.name == CODE_TOOL:
        step = {"type": "code_execution_call", "id": call.id, "arguments": dict(call.arguments)}
    elif call.name in WEB_TOOLS:
        step = {"type": f"{call.name}_call", "id": call.id, "arguments": dict(call.arguments)}
    else:
        step = {"type": "function_call", "id": call.id, "name": call.name, "arguments": dict(call.arguments)}
    if call.signature:
        step["signature"] = call.signature
    return step


def arguments_json(arguments: Mapping[str, Any]) -> str:
    """Tool-call arguments as the JSON text streamed in `arguments_delta` events."""
    return json.dumps(arguments, separators=(",", ":"))


async def stream_turn(sink: EventSink, stream: AsyncIterator[StreamEvent]) -> ModelResponse:
    """Emit the stream's step events as they arrive, taking indices from `sink`; returns the response."""
    open_kind: str | None = None
    open_index = -1

    async def close() -> None:
        nonlocal open_kind
        if open_kind is not None:
            await sink.event("step.stop", index=open_index)
            open_kind = None

    async def ensure(kind: str) -> None:
        nonlocal open_kind, open_index
        if open_kind != kind:
            await close()
            open_kind, open_index = kind, sink.index
            sink.index += 1
            initial: Step = {"type": "thought"} if kind == "thought" else {"type": kind, "content": []}
            await sink.event("step.start", index=open_index, step=initial)

    response: ModelResponse | None = None
    async for item in stream:
        if isinstance(item, ThoughtDelta):
            await ensure("thought")
            delta = {"type": "thought_summary", "content": {"type": "text", "text": item.text}}
            await sink.event("step.delta", index=open_index, delta=delta)
        elif isinstance(item, TextDelta):
            await ensure("model_output")
            await sink.event("step.delta", index=open_index, delta={"type": "text", "text": item.text})
        elif isinstance(item, ToolCallEvent):
            await close()
            await _tool_call(sink, item.call, sink.mcp_names)
        elif isinstance(item, ResponseDone):
            response = item.response
    await close()
    if response is None:
        raise RuntimeError("the model stream ended without a final response")
    for signature in text_signatures(response):
        index = sink.index
        sink.index += 1
        await sink.event("step.start", index=index, step={"type": "thought"})
        await sink.event(
            "step.delta", index=index, delta={"type": "thought_signature", "signature": signature}
        )
        await sink.event("step.stop", index=index)
    return response


def text_signatures(response: ModelResponse) -> list[str]:
    """The signatures the vendor put on the turn's text parts, in order."""
    return [part.signature for part in response.parts if part.type == "text" and part.signature]


async def _tool_call(sink: EventSink, call: ToolCallPart, mcp_names: McpNames) -> None:
    index = sink.index
    sink.index += 1
    step = call_step(call, mcp_names)
    await sink.event("step.start", index=index, step={**step, "arguments": {}})
    if step["type"] == "mcp_server_tool_call":  # its delta names the tool and the server too
        delta = {key: step[key] for key in ("type", "name", "server_name", "arguments")}
    elif step["type"] != "function_call":  # a server tool's call delta carries its arguments whole
        delta = {"type": step["type"], "arguments": step["arguments"]}
    else:
        delta = {"type": "arguments_delta", "arguments": arguments_json(call.arguments)}
    await sink.event("step.delta", index=index, delta=delta)
    await sink.event("step.stop", index=index)


def assembled_steps(response: ModelResponse, mcp_names: McpNames | None = None) -> list[Step]:
    """The steps `get` returns for one model turn: thoughts, text and calls in the model's order."""
    steps: list[Step] = []
    for part in response.parts:
        if part.type == "thought":
            thought: Step = {"type": "thought", "summary": [{"type": "text", "text": part.text}]}
            if part.signature:
                thought["signature"] = part.signature
            steps.append(thought)
        elif part.type == "text":
            if steps and steps[-1]["type"] == "model_output":
                steps[-1]["content"][0]["text"] += part.text
            else:
                steps.append({"type": "model_output", "content": [{"type": "text", "text": part.text}]})
        else:
            steps.append(call_step(part, mcp_names))
    return steps + [{"type": "thought", "signature": signature} for signature in text_signatures(response)]


def add_usage(a: Usage, b: Usage) -> Usage:
    """Token counts of two turns together."""
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        thought_tokens=a.thought_tokens + b.thought_tokens,
        total_tokens=a.total_tokens + b.total_tokens,
    )
