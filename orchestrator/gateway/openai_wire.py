"""Translation between the neutral format and OpenAI chat completions, kept apart from the I/O.

Chat completions has no place for thoughts in the history, so thoughts are dropped on the way
out; reasoning that compatible servers stream (`reasoning_content` from vLLM and DeepSeek,
`reasoning` from Ollama) comes back in as thought deltas. Tool results become `tool` messages
right after the assistant turn; images a tool returned follow in a user message, because a
`tool` message may hold only text.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from agents.model_types import (
    FinishReason,
    ImagePart,
    Message,
    ModelRequest,
    TextPart,
    ThoughtPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

__all__ = ["build_messages", "build_params", "finish_reason", "parse_arguments", "reasoning_of", "usage"]

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "max_tokens",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "safety",
}


def _image(part: ImagePart) -> dict[str, Any]:
    url = f"data:{part.mime_type};base64,{base64.b64encode(part.data).decode('ascii')}"
    return {"type": "image_url", "image_url": {"url": url}}


def _result_text(part: ToolResultPart) -> str:
    text = part.output if isinstance(part.output, str) else json.dumps(part.output)
    return f"ERROR: {text}" if part.is_error else text


def _user(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ToolResultPart):
            out.append({"role": "tool", "tool_call_id": part.call_id, "content": _result_text(part)})
            if part.images:
                note = {"type": "text", "text": f"Images returned by {part.name} ({part.call_id}):"}
                content.extend([note, *(_image(i) for i in part.images)])
        elif isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            content.append(_image(part))
    if content:
        only_text = all(c["type"] == "text" for c in content)
        value: Any = "\n".join(c["text"] for c in content) if only_text else content
        out.append({"role": "user", "content": value})
    return out


def _assistant(message: Message) -> dict[str, Any]:
    text = "".join(p.text for p in message.parts if isinstance(p, TextPart))
    calls = [
        {
            "id": p.id,
            "type": "function",
            "function": {"name": p.name, "arguments": json.dumps(p.arguments)},
        }
        for p in message.parts
        if isinstance(p, ToolCallPart)
    ]
    turn: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        turn["tool_calls"] = calls
    return turn


def build_messages(request: ModelRequest) -> list[dict[str, Any]]:
    """The conversation as chat-completions messages."""
    out: list[dict[str, Any]] = []
    if request.system:
        out.append({"role": "system", "content": request.system})
    for message in request.messages:
        if message.role == "user":
            out.extend(_user(message))
        elif any(not isinstance(p, ThoughtPart) for p in message.parts):
            out.append(_assistant(message))
    return out


def build_params(request: ModelRequest, model: str, *, official: bool) -> dict[str, Any]:
    """Keyword arguments of `chat.completions.create`, without `stream`.

    OpenAI's own API wants `max_completion_tokens` (reasoning models refuse `max_tokens`);
    compatible servers mostly know only `max_tokens`.
    """
    cfg = request.config
    params: dict[str, Any] = {"model": model, "messages": build_messages(request)}
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
            }
            for t in request.tools
        ]
    if cfg.temperature is not None:
        params["temperature"] = cfg.temperature
    if cfg.top_p is not None:
        params["top_p"] = cfg.top_p
    if cfg.max_output_tokens is not None:
        params["max_completion_tokens" if official else "max_tokens"] = cfg.max_output_tokens
    if cfg.stop:
        params["stop"] = cfg.stop
    if cfg.response_schema is not None:
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": cfg.response_schema},
        }
    return params


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
