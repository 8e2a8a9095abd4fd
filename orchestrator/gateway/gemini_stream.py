"""Gemini's streamed chunks as neutral events, text pieces joined into whole parts.

Every chunk may carry text, thought and call parts, a finish reason and the usage so far; deltas
are passed on as they come, calls are announced at once (Gemini sends each whole), and the last
usage and finish reason seen describe the whole answer in the closing `ResponseDone`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from google.genai import types as gt

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
from orchestrator.gateway import gemini_response as wire

__all__ = ["assemble"]


async def assemble(
    chunks: AsyncIterator[gt.GenerateContentResponse], model: str
) -> AsyncIterator[StreamEvent]:
    """Neutral events for `chunks`, ending with usage and one `ResponseDone` holding the whole answer."""
    parts: list[ResponsePart] = []
    usage = Usage()
    finish: object = None
    async for chunk in chunks:
        candidate = chunk.candidates[0] if chunk.candidates else None
        for sdk_part in wire.candidate_parts(candidate):
            neutral = wire.to_neutral(sdk_part)
            if neutral is None:
                continue
            if isinstance(neutral, ThoughtPart) and neutral.text:
                yield ThoughtDelta(text=neutral.text)
            elif isinstance(neutral, TextPart) and neutral.text:
                yield TextDelta(text=neutral.text)
            elif isinstance(neutral, ToolCallPart):
                yield ToolCallEvent(call=neutral)
            wire.merge_part(parts, neutral)
        if candidate is not None and candidate.finish_reason is not None:
            finish = candidate.finish_reason
        if chunk.usage_metadata is not None:
            usage = wire.usage(chunk.usage_metadata)
        model = chunk.model_version or model
    yield UsageEvent(usage=usage)
    response = ModelResponse(
        parts=parts, usage=usage, finish_reason=wire.finish_reason(finish, parts), model=model
    )
    yield ResponseDone(response=response)
