"""A streamed OpenAI chat completion as neutral events, tool calls assembled from their fragments.

Text and reasoning are passed on as deltas the moment they arrive. A tool call comes in pieces
spread over many chunks (keyed by its index), so calls are announced only once the stream has
ended and each one's JSON arguments are whole; the usage arrives in the last chunk.
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
from orchestrator.gateway import openai_response as wire

__all__ = ["assemble"]


async def assemble(chunks: AsyncIterator[Any], model: str) -> AsyncIterator[StreamEvent]:
    """Neutral events for `chunks`, ending with usage and one `ResponseDone` holding the whole answer."""
    thought, text = [], []
    calls: dict[int, dict[str, Any]] = {}
    usage, finish = Usage(), None
    async for chunk in chunks:
        model = chunk.model or model
        if chunk.usage is not None:
            usage = wire.usage(chunk.usage)
        for choice in chunk.choices or []:
            delta = choice.delta
            finish = choice.finish_reason or finish
            reasoning = wire.reasoning_of(delta)
            if reasoning:
                thought.append(reasoning)
                yield ThoughtDelta(text=reasoning)
            if delta.content:
                text.append(delta.content)
                yield TextDelta(text=delta.content)
            for frag in delta.tool_calls or []:
                slot = calls.setdefault(frag.index, {"id": None, "name": "", "args": []})
                slot["id"] = frag.id or slot["id"]
                if frag.function is not None:
                    slot["name"] += frag.function.name or ""
                    slot["args"].append(frag.function.arguments or "")
    parts: list[ResponsePart] = []
    if thought:
        parts.append(ThoughtPart(text="".join(thought)))
    if text:
        parts.append(TextPart(text="".join(text)))
    for index in sorted(calls):
        slot = calls[index]
        call = ToolCallPart(
            id=slot["id"] or f"call_{index}",
            name=slot["name"],
            arguments=wire.parse_arguments("".join(slot["args"])),
        )
        parts.append(call)
        yield ToolCallEvent(call=call)
    yield UsageEvent(usage=usage)
    response = ModelResponse(
        parts=parts, usage=usage, finish_reason=wire.finish_reason(finish, bool(calls)), model=model
    )
    yield ResponseDone(response=response)
