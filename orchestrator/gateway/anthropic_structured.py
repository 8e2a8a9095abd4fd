"""Structured output on Anthropic, in its tool-use form: the answer is the input of one forced tool.

Messages has no response-schema parameter, so the request declares one more tool, `ANSWER_TOOL`,
whose `input_schema` is the response schema, and makes the model call a tool. The call's input,
as JSON text, becomes the answer's text part (and its stream a text delta), so nothing above the
gateway sees the tool. A tool's input must be an object: any other schema (or plain JSON mode) is
wrapped as `{"value": <schema>}` and unwrapped again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from agents.model_types import (
    GenerationConfig,
    ModelResponse,
    ResponseDone,
    ResponsePart,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallEvent,
    ToolCallPart,
)

__all__ = ["ANSWER_TOOL", "answer_text", "answer_tool", "structured_stream", "unwrap"]

ANSWER_TOOL = "structured_answer"
"""The name of the tool that carries the answer (a client function of this name is refused)."""
_WRAP = "value"


def _wrapped(config: GenerationConfig) -> bool:
    schema = config.response_schema
    return schema is None or schema.get("type") != "object"


def answer_tool(config: GenerationConfig) -> dict[str, Any]:
    """The tool declaration whose input is the answer."""
    schema: dict[str, Any] = config.response_schema or {}
    if _wrapped(config):
        schema = {"type": "object", "properties": {_WRAP: schema}, "required": [_WRAP]}
    return {
        "name": ANSWER_TOOL,
        "description": "Give your final answer by calling this tool: its input is the answer.",
        "input_schema": schema,
    }


def answer_text(call: ToolCallPart, config: GenerationConfig) -> str:
    """The answer a call of `ANSWER_TOOL` carries, as JSON text."""
    value: Any = call.arguments.get(_WRAP) if _wrapped(config) else call.arguments
    return json.dumps(value, ensure_ascii=False)


def _part(part: ResponsePart, config: GenerationConfig) -> ResponsePart:
    if isinstance(part, ToolCallPart) and part.name == ANSWER_TOOL:
        return TextPart(text=answer_text(part, config))
    return part


def unwrap(response: ModelResponse, config: GenerationConfig) -> ModelResponse:
    """`response` with the answer tool's call as text; it ends `stop` when no other call is left."""
    if not config.wants_json:
        return response
    parts = [_part(p, config) for p in response.parts]
    finish = response.finish_reason
    if finish == "tool_calls" and not any(isinstance(p, ToolCallPart) for p in parts):
        finish = "stop"
    return response.model_copy(update={"parts": parts, "finish_reason": finish})


async def structured_stream(
    events: AsyncIterator[StreamEvent], config: GenerationConfig
) -> AsyncIterator[StreamEvent]:
    """The stream with the answer tool's call as one text delta and the final response unwrapped."""
    async for event in events:
        if not config.wants_json:
            yield event
        elif isinstance(event, ToolCallEvent) and event.call.name == ANSWER_TOOL:
            yield TextDelta(text=answer_text(event.call, config))
        elif isinstance(event, ResponseDone):
            yield ResponseDone(response=unwrap(event.response, config))
        else:
            yield event
