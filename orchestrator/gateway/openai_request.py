"""Neutral request to OpenAI chat-completions parameters, kept apart from the I/O.

Chat completions has no place for thoughts in the history, so thoughts are dropped on the way
out. Tool results become `tool` messages right after the assistant turn; images a tool returned
follow in a user message, because a `tool` message may hold only text.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from agents.model_types import (
    ImagePart,
    Message,
    ModelRequest,
    TextPart,
    ThoughtPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from orchestrator.gateway.provider import Unsupported

__all__ = ["build_messages", "build_params", "unsupported"]


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
    if cfg.seed is not None:
        params["seed"] = cfg.seed
    if cfg.thinking_level is not None:
        params["reasoning_effort"] = cfg.thinking_level  # the same five names
    if cfg.tool_choice is not None:
        params["tool_choice"] = _tool_choice(cfg.tool_choice)
    if cfg.response_schema is not None:
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": cfg.response_schema},
        }
    elif cfg.json_output:
        params["response_format"] = {"type": "json_object"}
    return params


_MODES = {"auto": "auto", "any": "required", "none": "none"}


def _tool_choice(choice: ToolChoice) -> Any:
    mode = _MODES[choice.mode]
    if choice.tools is None:
        return mode
    named = [{"type": "function", "function": {"name": name}} for name in choice.tools]
    return {"type": "allowed_tools", "allowed_tools": {"mode": mode, "tools": named}}


def unsupported(request: ModelRequest) -> list[Unsupported]:
    """What chat completions cannot honour: safety settings, and the `validated` tool mode."""
    cfg, found = request.config, []
    if cfg.safety_settings:
        found.append(Unsupported(setting="safety_settings", reason="openai has no safety settings"))
    choice = cfg.tool_choice
    if choice is not None and choice.mode == "validated":
        found.append(Unsupported(setting="tool_choice", reason="openai has no 'validated' tool mode"))
    elif choice is not None and choice.mode == "none" and choice.tools is not None:
        reason = "openai restricts tools to named ones only in modes 'auto' and 'any'"
        found.append(Unsupported(setting="tool_choice", reason=reason))
    return found
