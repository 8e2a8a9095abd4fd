"""google-genai answers to neutral parts, usage and finish reasons, kept apart from the I/O.

Each part keeps its `thoughtSignature` (as standard base64) so `gemini_request` can return it
unchanged. Gemini may send calls without ids; those get a generated `wrn_` id, which the request
side leaves out again. Streamed text arrives in pieces that `merge_part` joins.
"""

from __future__ import annotations

import base64
import itertools

from google.genai import types as gt

from agents.model_types import FinishReason, ResponsePart, TextPart, ThoughtPart, ToolCallPart, Usage

__all__ = ["GENERATED_ID_PREFIX", "candidate_parts", "finish_reason", "merge_part", "to_neutral", "usage"]

GENERATED_ID_PREFIX = "wrn_"
"""Marks a call id the gateway made up because Gemini sent none; never sent back to Gemini."""
_ids = itertools.count(1)

_FINISH: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "max_tokens",
    "SAFETY": "safety",
    "RECITATION": "safety",
    "BLOCKLIST": "safety",
    "PROHIBITED_CONTENT": "safety",
    "SPII": "safety",
    "IMAGE_SAFETY": "safety",
}


def _sig_in(raw: bytes | None) -> str | None:
    return base64.b64encode(raw).decode("ascii") if raw else None


def to_neutral(part: gt.Part) -> ResponsePart | None:
    """One SDK part as a neutral part (`None` for kinds the gateway does not carry)."""
    sig = _sig_in(part.thought_signature)
    if part.function_call is not None:
        fc = part.function_call
        return ToolCallPart(
            id=fc.id or f"{GENERATED_ID_PREFIX}{next(_ids)}",
            name=fc.name or "",
            arguments=dict(fc.args or {}),
            signature=sig,
        )
    if part.thought:
        return ThoughtPart(text=part.text or "", signature=sig)
    if part.text is not None or sig is not None:
        return TextPart(text=part.text or "", signature=sig)
    return None


def merge_part(parts: list[ResponsePart], new: ResponsePart) -> None:
    """Append `new`, joining streamed text or thought pieces into the part they continue.

    A piece joins the previous part of its kind while that part has no signature yet; an empty
    piece that only carries a signature (how Gemini ends a streamed text) signs the previous part.
    """
    last = parts[-1] if parts else None
    if (
        isinstance(new, TextPart | ThoughtPart)
        and type(last) is type(new)
        and isinstance(last, TextPart | ThoughtPart)
        and last.signature is None
    ):
        parts[-1] = last.model_copy(update={"text": last.text + new.text, "signature": new.signature})
        return
    parts.append(new)


def usage(meta: gt.GenerateContentResponseUsageMetadata | None) -> Usage:
    """Gemini `usageMetadata` as neutral usage."""
    if meta is None:
        return Usage()
    inp = meta.prompt_token_count or 0
    out = meta.candidates_token_count or 0
    thought = meta.thoughts_token_count or 0
    return Usage(
        input_tokens=inp,
        output_tokens=out,
        thought_tokens=thought,
        total_tokens=meta.total_token_count or inp + out + thought,
    )


def finish_reason(reason: object, parts: list[ResponsePart]) -> FinishReason:
    """Gemini's finish reason as the neutral one; a turn with tool calls finishes with `tool_calls`."""
    if any(isinstance(p, ToolCallPart) for p in parts):
        return "tool_calls"
    if reason is None:
        return "stop"
    name = getattr(reason, "value", None) or str(reason)
    return _FINISH.get(name, "other")


def candidate_parts(candidate: gt.Candidate | None) -> list[gt.Part]:
    """The SDK parts of a candidate's content (none when it is missing or empty)."""
    return (candidate.content.parts if candidate and candidate.content else None) or []
