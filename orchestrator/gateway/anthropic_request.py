"""Neutral request to Anthropic `messages.create` parameters, kept apart from the I/O.

Thinking blocks go back with their `signature` unchanged (Anthropic verifies it); a thought
without a signature came from another vendor and is left out. Tool results lead their user
turn, as the API requires, and carry their images as base64 blocks.
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
    ToolResultPart,
)

__all__ = ["DEFAULT_MAX_TOKENS", "build_params"]

DEFAULT_MAX_TOKENS = 8192
"""Anthropic requires `max_tokens`; this is used when the request leaves it unset."""


def _image(part: ImagePart) -> dict[str, Any]:
    data = base64.b64encode(part.data).decode("ascii")
    return {"type": "image", "source": {"type": "base64", "media_type": part.mime_type, "data": data}}


def _tool_result(part: ToolResultPart) -> dict[str, Any]:
    text = part.output if isinstance(part.output, str) else json.dumps(part.output)
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [_image(i) for i in part.images]
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": part.call_id, "content": content}
    if part.is_error:
        block["is_error"] = True
    return block


def _blocks(message: Message) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, ToolResultPart):
            results.append(_tool_result(part))
        elif isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            blocks.append(_image(part))
        elif isinstance(part, ThoughtPart):
            if part.signature:
                blocks.append({"type": "thinking", "thinking": part.text, "signature": part.signature})
        elif isinstance(part, ToolCallPart):
            blocks.append({"type": "tool_use", "id": part.id, "name": part.name, "input": part.arguments})
    return results + blocks


def build_params(request: ModelRequest, model: str) -> dict[str, Any]:
    """Keyword arguments of `messages.create`, without `stream`."""
    cfg = request.config
    messages = []
    for message in request.messages:
        blocks = _blocks(message)
        if blocks:
            messages.append({"role": "user" if message.role == "user" else "assistant", "content": blocks})
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": cfg.max_output_tokens or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if request.system:
        params["system"] = request.system
    if request.tools:
        params["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
    if cfg.temperature is not None:
        params["temperature"] = cfg.temperature
    if cfg.top_p is not None:
        params["top_p"] = cfg.top_p
    if cfg.stop:
        params["stop_sequences"] = cfg.stop
    if cfg.thinking_budget:
        params["thinking"] = {"type": "enabled", "budget_tokens": cfg.thinking_budget}
    return params
