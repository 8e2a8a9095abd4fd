"""Neutral request to google-genai contents and config, kept apart from the I/O.

Gemini 3 rejects a history whose model turns lost their `thoughtSignature`s, so each signature
travels on the neutral part it arrived on (standard base64 of the SDK's bytes) and is put back on
the same part unchanged; one that is not base64 came from another vendor and is dropped. Call ids
the gateway generated (`gemini_response.GENERATED_ID_PREFIX`) are left out, so Gemini only ever
sees its own ids.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from google.genai import types as gt

from agents.model_types import (
    GenerationConfig,
    ImagePart,
    Message,
    ModelRequest,
    SafetySetting,
    TextPart,
    ThoughtPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from orchestrator.gateway.gemini_response import GENERATED_ID_PREFIX
from orchestrator.gateway.provider import Unsupported

__all__ = ["build_config", "build_contents", "unsupported"]


def _sig_out(sig: str | None) -> bytes | None:
    """Neutral signature to SDK bytes; one that is not base64 came from another vendor and is dropped."""
    if sig is None:
        return None
    try:
        return base64.b64decode(sig, validate=True)
    except (binascii.Error, ValueError):
        return None


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
        call_id = None if part.id.startswith(GENERATED_ID_PREFIX) else part.id
        call = gt.FunctionCall(id=call_id, name=part.name, args=part.arguments)
        return [gt.Part(function_call=call, thought_signature=_sig_out(part.signature))]
    if isinstance(part, ToolResultPart):
        call_id = None if part.call_id.startswith(GENERATED_ID_PREFIX) else part.call_id
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


def unsupported(request: ModelRequest, *, vertex: bool) -> list[Unsupported]:
    """What Gemini cannot honour: a tool restriction outside modes `any` and `validated`, and a
    safety `method` on the Gemini API (the SDK allows it on Vertex AI only)."""
    choice, found = request.config.tool_choice, []
    if choice is not None and choice.tools is not None and choice.mode in ("auto", "none"):
        reason = (
            f"gemini restricts tools to named ones only in modes 'any' and 'validated', not {choice.mode!r}"
        )
        found.append(Unsupported(setting="tool_choice", reason=reason))
    if not vertex and any(s.method for s in request.config.safety_settings):
        reason = "gemini takes a safety 'method' only on Vertex AI; leave it out"
        found.append(Unsupported(setting="safety_settings", reason=reason))
    return found


def _tool_config(choice: ToolChoice | None) -> gt.ToolConfig | None:
    if choice is None:
        return None
    mode = gt.FunctionCallingConfigMode(choice.mode.upper())
    calling = gt.FunctionCallingConfig(mode=mode, allowed_function_names=choice.tools)
    return gt.ToolConfig(function_calling_config=calling)


def _safety(setting: SafetySetting) -> gt.SafetySetting:
    return gt.SafetySetting(
        category=gt.HarmCategory("HARM_CATEGORY_" + setting.category.upper()),
        threshold=gt.HarmBlockThreshold(setting.threshold.upper()),
        method=gt.HarmBlockMethod(setting.method.upper()) if setting.method else None,
    )


def _thinking(cfg: GenerationConfig) -> gt.ThinkingConfig | None:
    if cfg.thinking_level is not None:  # Gemini refuses a level together with a budget
        level = gt.ThinkingLevel(cfg.thinking_level.upper())
        return gt.ThinkingConfig(include_thoughts=cfg.include_thoughts, thinking_level=level)
    if cfg.thinking_budget is not None or cfg.include_thoughts:
        return gt.ThinkingConfig(include_thoughts=cfg.include_thoughts, thinking_budget=cfg.thinking_budget)
    return None


def build_config(request: ModelRequest, *, timeout_ms: int | None = None) -> gt.GenerateContentConfig:
    """System instruction, tools, sampling, safety and output format as a `GenerateContentConfig`."""
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
    return gt.GenerateContentConfig(
        system_instruction=request.system,
        tools=tools,
        tool_config=_tool_config(cfg.tool_choice),
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        seed=cfg.seed,
        max_output_tokens=cfg.max_output_tokens,
        stop_sequences=cfg.stop or None,
        response_mime_type="application/json" if cfg.wants_json else None,
        response_json_schema=cfg.response_schema,
        safety_settings=[_safety(s) for s in cfg.safety_settings] or None,
        thinking_config=_thinking(cfg),
        automatic_function_calling=gt.AutomaticFunctionCallingConfig(disable=True),
        http_options=gt.HttpOptions(timeout=timeout_ms) if timeout_ms else None,
    )
