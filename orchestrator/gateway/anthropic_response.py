"""Anthropic answers to neutral parts, usage and finish reasons, kept apart from the I/O.

A content block is text, thinking (its signature kept, since Anthropic verifies it on the way
back) or a tool use; other kinds are not carried. Cached input counts as input, and thinking
tokens are not reported apart, so they stay inside the output count.
"""

from __future__ import annotations

from typing import Any

from agents.model_types import FinishReason, ResponsePart, TextPart, ThoughtPart, ToolCallPart, Usage

__all__ = ["block_part", "finish_reason", "usage"]

_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "max_tokens",
    "tool_use": "tool_calls",
    "refusal": "safety",
}


def block_part(block: Any) -> ResponsePart | None:
    """One whole content block as a neutral part (`None` for kinds the gateway does not carry)."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return TextPart(text=block.text)
    if kind == "thinking":
        return ThoughtPart(text=block.thinking, signature=block.signature or None)
    if kind == "tool_use":
        return ToolCallPart(id=block.id, name=block.name, arguments=dict(block.input or {}))
    return None


def usage(raw: Any, output_tokens: int | None = None) -> Usage:
    """Anthropic usage as neutral usage; cached input counts as input (thinking is not split out)."""
    if raw is None:
        return Usage()
    inp = (
        (getattr(raw, "input_tokens", 0) or 0)
        + (getattr(raw, "cache_creation_input_tokens", 0) or 0)
        + (getattr(raw, "cache_read_input_tokens", 0) or 0)
    )
    out = output_tokens if output_tokens is not None else getattr(raw, "output_tokens", 0) or 0
    return Usage(input_tokens=inp, output_tokens=out, total_tokens=inp + out)


def finish_reason(reason: str | None, has_calls: bool) -> FinishReason:
    """Anthropic's stop reason as the neutral one."""
    if has_calls:
        return "tool_calls"
    return _FINISH.get(reason or "end_turn", "other")
