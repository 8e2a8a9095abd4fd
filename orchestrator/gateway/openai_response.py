"""OpenAI chat-completions answers to neutral parts, usage and finish reasons, kept apart from the I/O.

Reasoning that compatible servers put beside the content (`reasoning_content` from vLLM and
DeepSeek, `reasoning` from Ollama) comes back as thoughts. Tool-call arguments arrive as JSON
text and may be malformed; they are wrapped rather than refused, so the model sees its mistake.
"""

from __future__ import annotations

import json
from typing import Any

from agents.model_types import FinishReason, ResponsePart, TextPart, ThoughtPart, ToolCallPart, Usage

__all__ = ["finish_reason", "message_parts", "parse_arguments", "reasoning_of", "usage"]

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "max_tokens",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "safety",
}


def parse_arguments(raw: str | None) -> dict[str, Any]:
    """Tool-call arguments from their JSON text; anything that is not an object is wrapped."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_value": value}


def reasoning_of(obj: Any) -> str | None:
    """Reasoning text a compatible server put beside the content (not part of OpenAI's schema)."""
    extra = getattr(obj, "model_extra", None) or {}
    value = extra.get("reasoning_content") or extra.get("reasoning")
    return value if isinstance(value, str) and value else None


def usage(raw: Any) -> Usage:
    """Chat-completions usage as neutral usage; reasoning tokens are split out of the output."""
    if raw is None:
        return Usage()
    details = getattr(raw, "completion_tokens_details", None)
    thought = (getattr(details, "reasoning_tokens", None) or 0) if details else 0
    completion = raw.completion_tokens or 0
    return Usage(
        input_tokens=raw.prompt_tokens or 0,
        output_tokens=max(0, completion - thought),
        thought_tokens=thought,
        total_tokens=raw.total_tokens or (raw.prompt_tokens or 0) + completion,
    )


def finish_reason(reason: str | None, has_calls: bool) -> FinishReason:
    """OpenAI's finish reason as the neutral one."""
    if has_calls:
        return "tool_calls"
    return _FINISH.get(reason or "stop", "other")


def message_parts(message: Any) -> list[ResponsePart]:
    """A whole (not streamed) assistant message as neutral parts: reasoning, text, tool calls."""
    parts: list[ResponsePart] = []
    if message is None:
        return parts
    reasoning = reasoning_of(message)
    if reasoning:
        parts.append(ThoughtPart(text=reasoning))
    if message.content:
        parts.append(TextPart(text=message.content))
    for call in message.tool_calls or []:
        function = getattr(call, "function", None)
        if function is not None:
            parts.append(
                ToolCallPart(id=call.id, name=function.name, arguments=parse_arguments(function.arguments))
            )
    return parts
