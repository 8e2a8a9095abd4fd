"""What the `scripted` model reads from a request, and how it counts tokens and cuts deltas.

All of it is pure and deterministic, so a test can predict the exact usage and the exact deltas
of a scripted answer: tokens are characters / 4 rounded up, placeholder values come from the
last user text and tool results, and text streams in at most three word-aligned pieces.
"""

from __future__ import annotations

import json
import math

from agents.model_types import (
    ModelRequest,
    ResponsePart,
    TextPart,
    ThoughtPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

__all__ = ["count_tokens", "placeholder_values", "request_text", "result_text", "split_deltas", "usage_of"]

_DELTAS = 3
"""Text is streamed in this many pieces (fewer when it is shorter)."""


def count_tokens(text: str) -> int:
    """The scripted model's token count: characters / 4, rounded up."""
    return math.ceil(len(text) / 4)


def result_text(part: ToolResultPart) -> str:
    """A tool result as text, as the script placeholders and the token count see it."""
    return part.output if isinstance(part.output, str) else json.dumps(part.output, sort_keys=True)


def request_text(request: ModelRequest) -> str:
    """Everything a request says, concatenated: what its input tokens are counted from."""
    pieces = [request.system or ""]
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, TextPart | ThoughtPart):
                pieces.append(part.text)
            elif isinstance(part, ToolCallPart):
                pieces.append(part.name + json.dumps(part.arguments, sort_keys=True))
            elif isinstance(part, ToolResultPart):
                pieces.append(result_text(part))
    return "".join(pieces)


def split_deltas(text: str, pieces: int = _DELTAS) -> list[str]:
    """Cut `text` into up to `pieces` chunks at word boundaries; they concatenate to `text`."""
    if not text:
        return []
    words = text.split(" ")
    size = max(1, math.ceil(len(words) / pieces))
    chunks = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [c + " " for c in chunks[:-1]] + [chunks[-1]]


def placeholder_values(request: ModelRequest) -> dict[str, str]:
    """Placeholder values: the last user text, the last tool result, each tool's last result."""
    values = {"last_user_text": "", "last_result": ""}
    for message in request.messages:
        if message.role != "user":
            continue
        for part in message.parts:
            if isinstance(part, TextPart):
                values["last_user_text"] = part.text
            elif isinstance(part, ToolResultPart):
                values["last_result"] = values[f"result:{part.name}"] = result_text(part)
    return values


def usage_of(request: ModelRequest, parts: list[ResponsePart]) -> Usage:
    """Characters / 4 of the whole request in, of each kind of answer part out."""
    input_tokens = count_tokens(request_text(request))
    thought_tokens = sum(count_tokens(p.text) for p in parts if isinstance(p, ThoughtPart))
    output_tokens = sum(
        count_tokens(p.text) if isinstance(p, TextPart) else count_tokens(p.name + json.dumps(p.arguments))
        for p in parts
        if not isinstance(p, ThoughtPart)
    )
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        thought_tokens=thought_tokens,
        total_tokens=input_tokens + output_tokens + thought_tokens,
    )
