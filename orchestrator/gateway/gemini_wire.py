"""Translation between the neutral format and google-genai's types, kept apart from the I/O.

Gemini 3 rejects a history whose model turns lost their `thoughtSignature`s, so every signature
is carried on the neutral part it arrived on (as standard base64 of the SDK's bytes) and put back
on the same part unchanged. Call ids Gemini did not issue are generated with a `wrn_` prefix and
left out again on the way back, so the vendor only ever sees its own ids.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from typing import Any

from google.genai import types as gt

from agents.model_types import (
    FinishReason,
    ImagePart,
    Message,
    ModelRequest,
    ResponsePart,
    TextPart,
    ThoughtPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

__all__ = ["build_config", "build_contents", "finish_reason", "merge_part", "to_neutral", "usage"]

_GENERATED_ID = "wrn_"
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


def _sig_out(sig: str | None) -> bytes | None:
    """Neutral signature to SDK bytes; one that is not base64 came from another vendor and is dropped."""
    if sig is None:
        return None
    try:
        return base64.b64decode(sig, validate=True)
    except (binascii.Error, ValueError):
        return None


def _sig_in(raw: bytes | None) -> str | None:
    return base64.b64encode(raw).decode("ascii") if raw else None


def _result_payload(part: ToolResultPart) -> dict[str, Any]:
    key = "error" if part.is_error else "output"
    if isinstance(part.output, dict) and not part.is_error:
        return part.output
    return {key: part.output}


def _part(part: Any) -> list[gt.Part]:
    if isinstance(part, TextPart):
        return [gt.Part(text=part.text, thought_signature=_sig_out(part.signature))]
    if isinstance(part, ImagePart):
        return [gt.Part(inline_data=gt.Blob(mime_type=part.mime_type, data=part.data))]
    if isinstance(part, ThoughtPart):
        return [gt.Part(text=part.text, thought=True, thought_signature=_sig_out(part.signature))]
    if isinstance(part, ToolCallPart):
        call_id = None if part.id.startswith(_GENERATED_ID) else part.id
        call = gt.FunctionCall(id=call_id, name=part.name, args=part.arguments)
        return [gt.Part(function_call=call, thought_signature=_sig_out(part.signature))]
    if isinstance(part, ToolResultPart):
        call_id = None if part.call_id.startswith(_GENERATED_ID) else part.call_id
        response = gt.FunctionResponse(id=call_id, name=part.name, response=_result_payload(part))
        images = [gt.Part(inline_data=gt.Blob(mime_type=i.mime_type, data=i.data)) for i in part.images]
        return [gt.Part(function_response=response), *images]
    raise TypeError(f"unknown part {type(part).__name__}")


def build_contents(messages: list[Message]) -> list[gt.Content]:
    """The conversation as Gemini contents, signatures and ids preserved."""
    return [
        gt.Content(role=m.role, parts=[p for part in m.parts for p in _part(part)])
        for m in messages
        if m.parts
    ]


def build_config(request: ModelRequest, *, timeout_ms: int | None = None) -> gt.GenerateContentConfig:
    """System instruction, tools and sampling as a `GenerateContentConfig`."""
    cfg = request.config
    tools = None
    if request.tools:
        declarations = [
            gt.FunctionDeclaration(
                name=t.name, description=t.description, parameters_json_schema=t.parameters
            )
            for t in request.tools
        ]
        tools = [gt.Tool(function_declarations=declarations)]
    thinking = None
    if cfg.thinking_budget is not None or cfg.include_thoughts:
        thinking = gt.ThinkingConfig(
            include_thoughts=cfg.include_thoughts, thinking_budget=cfg.thinking_budget
        )
    return gt.GenerateContentConfig(
        system_instruction=request.system,
        tools=tools,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        max_output_tokens=cfg.max_output_tokens,
        stop_sequences=cfg.stop or None,
        response_mime_type="application/json" if cfg.response_schema else None,
        response_json_schema=cfg.response_schema,
        thinking_config=thinking,
        automatic_function_calling=gt.AutomaticFunctionCallingConfig(disable=True),
        http_options=gt.HttpOptions(timeout=timeout_ms) if timeout_ms else None,
    )


def to_neutral(part: gt.Part) -> ResponsePart | None:
    """One SDK part as a neutral part (`None` for kinds the gateway does not carry)."""
    sig = _sig_in(part.thought_signature)
    if part.function_call is not None:
        fc = part.function_call
        return ToolCallPart(
            id=fc.id or f"{_GENERATED_ID}{next(_ids)}",
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
