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
    GenerationConfig,
    ImagePart,
    Message,
    ModelRequest,
    TextPart,
    ThoughtPart,
    ToolCallPart,
    ToolResultPart,
)
from orchestrator.gateway.anthropic_structured import ANSWER_TOOL, answer_tool
from orchestrator.gateway.provider import Unsupported

__all__ = ["DEFAULT_MAX_TOKENS", "build_params", "unsupported"]

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


_THINKING_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 32000}
"""Anthropic thinks to a token budget, not a level: each level's budget (1024 is its minimum)."""
_MODES = {"auto": "auto", "any": "any", "none": "none"}


def _thinking_budget(cfg: GenerationConfig) -> int | None:
    if cfg.thinking_level is not None:
        return _THINKING_BUDGETS[cfg.thinking_level]
    return cfg.thinking_budget or None


def _forced(cfg: GenerationConfig) -> bool:
    """Whether the request makes the model call a tool (Anthropic cannot think then)."""
    return cfg.wants_json or (cfg.tool_choice is not None and cfg.tool_choice.mode == "any")


def unsupported(request: ModelRequest) -> list[Unsupported]:
    """What Messages cannot honour: seeds, safety settings, some tool choices, thinking with a forced tool."""
    cfg, found = request.config, []
    if cfg.seed is not None:
        found.append(Unsupported(setting="seed", reason="anthropic has no sampling seed"))
    if cfg.safety_settings:
        found.append(Unsupported(setting="safety_settings", reason="anthropic has no safety settings"))
    choice = cfg.tool_choice
    if choice is not None and cfg.wants_json:
        reason = "anthropic's structured output forces its answer tool, so tool_choice cannot be set with it"
        found.append(Unsupported(setting="tool_choice", reason=reason))
    elif choice is not None and choice.mode == "validated":
        found.append(Unsupported(setting="tool_choice", reason="anthropic has no 'validated' tool mode"))
    elif choice is not None and choice.tools is not None and (choice.mode != "any" or len(choice.tools) != 1):
        reason = "anthropic restricts tool choice only to one named tool, with mode 'any'"
        found.append(Unsupported(setting="tool_choice", reason=reason))
    if cfg.wants_json and any(t.name == ANSWER_TOOL for t in request.tools):
        reason = f"anthropic's structured output needs the tool name {ANSWER_TOOL!r}, which a function has"
        found.append(Unsupported(setting="response_schema", reason=reason))
    if cfg.thinking_level is not None and _forced(cfg):
        reason = "anthropic cannot think when a tool call is forced (structured output or tool_choice 'any')"
        found.append(Unsupported(setting="thinking_level", reason=reason))
    budget = _thinking_budget(cfg)
    limit = cfg.max_output_tokens
    if cfg.thinking_level is not None and limit is not None and budget is not None and limit <= budget:
        reason = (
            f"anthropic thinks {cfg.thinking_level!r} with {budget} tokens; max_output_tokens must exceed it"
        )
        found.append(Unsupported(setting="thinking_level", reason=reason))
    return found


def _tool_choice(cfg: GenerationConfig, has_tools: bool) -> dict[str, Any] | None:
    if cfg.wants_json:
        return {"type": "any"} if has_tools else {"type": "tool", "name": ANSWER_TOOL}
    choice = cfg.tool_choice
    if choice is None:
        return None
    if choice.tools:
        return {"type": "tool", "name": choice.tools[0]}
    return {"type": _MODES[choice.mode]}


def build_params(request: ModelRequest, model: str) -> dict[str, Any]:
    """Keyword arguments of `messages.create`, without `stream`."""
    cfg = request.config
    messages = []
    for message in request.messages:
        blocks = _blocks(message)
        if blocks:
            messages.append({"role": "user" if message.role == "user" else "assistant", "content": blocks})
    budget = _thinking_budget(cfg)
    default_max = DEFAULT_MAX_TOKENS + (budget or 0)  # thinking counts against max_tokens
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": cfg.max_output_tokens or default_max,
        "messages": messages,
    }
    if request.system:
        params["system"] = request.system
    tools = [
        {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in request.tools
    ]
    if cfg.wants_json:
        tools.append(answer_tool(cfg))
    if tools:
        params["tools"] = tools
    choice = _tool_choice(cfg, bool(request.tools))
    if choice is not None:
        params["tool_choice"] = choice
    if cfg.temperature is not None:
        params["temperature"] = cfg.temperature
    if cfg.top_p is not None:
        params["top_p"] = cfg.top_p
    if cfg.stop:
        params["stop_sequences"] = cfg.stop
    if budget:
        params["thinking"] = {"type": "enabled", "budget_tokens": budget}
    return params
