"""Anthropic's raw stream events (`message_start`, `content_block_*`, `message_delta`) as neutral events.

Text and thinking pieces are passed on as deltas as they arrive. A block is finished when its
`content_block_stop` comes: a tool use's input is assembled from its `input_json_delta`
fragments and announced only then, and a thinking block takes its signature from the
`signature_delta` that precedes the stop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agents.model_types import (
    ModelResponse,
    ResponseDone,
    ResponsePart,
    StreamEvent,
    TextDelta,
    TextPart,
    ThoughtDelta,
    ThoughtPart,
    ToolCallEvent,
    ToolCallPart,
    Usage,
    UsageEvent,
)
from orchestrator.gateway import anthropic_response as wire
from orchestrator.gateway.openai_response import parse_arguments

__all__ = ["assemble"]


async def assemble(events: AsyncIterator[Any], model: str) -> AsyncIterator[StreamEvent]:
    """Neutral events for `events`, ending with usage and one `ResponseDone` holding the whole answer."""
    blocks: dict[int, dict[str, Any]] = {}
    parts: list[ResponsePart] = []
    start_usage: Any = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    async for event in events:
        kind = event.type
        if kind == "message_start":
            start_usage, model = event.message.usage, event.message.model or model
        elif kind == "content_block_start":
            block = event.content_block
            blocks[event.index] = {"block": block, "text": [], "json": [], "signature": None}
        elif kind == "content_block_delta":
            slot, delta = blocks[event.index], event.delta
            if delta.type == "text_delta":
                slot["text"].append(delta.text)
                yield TextDelta(text=delta.text)
            elif delta.type == "thinking_delta":
                slot["text"].append(delta.thinking)
                yield ThoughtDelta(text=delta.thinking)
            elif delta.type == "signature_delta":
                slot["signature"] = delta.signature
            elif delta.type == "input_json_delta":
                slot["json"].append(delta.partial_json)
        elif kind == "content_block_stop":
            part = _finish_block(blocks.pop(event.index))
            if part is not None:
                parts.append(part)
                if isinstance(part, ToolCallPart):
                    yield ToolCallEvent(call=part)
        elif kind == "message_delta":
            stop_reason = event.delta.stop_reason or stop_reason
            output_tokens = event.usage.output_tokens if event.usage else output_tokens
    usage = wire.usage(start_usage, output_tokens) if start_usage is not None else Usage()
    yield UsageEvent(usage=usage)
    has_calls = any(isinstance(p, ToolCallPart) for p in parts)
    response = ModelResponse(
        parts=parts, usage=usage, finish_reason=wire.finish_reason(stop_reason, has_calls), model=model
    )
    yield ResponseDone(response=response)


def _finish_block(slot: dict[str, Any]) -> ResponsePart | None:
    block = slot["block"]
    kind = getattr(block, "type", None)
    if kind == "text":
        return TextPart(text=(block.text or "") + "".join(slot["text"]))
    if kind == "thinking":
        signature = slot["signature"] or getattr(block, "signature", None) or None
        return ThoughtPart(text=(block.thinking or "") + "".join(slot["text"]), signature=signature)
    if kind == "tool_use":
        fragments = "".join(slot["json"])
        arguments = parse_arguments(fragments) if fragments else dict(block.input or {})
        return ToolCallPart(id=block.id, name=block.name, arguments=arguments)
    return None
