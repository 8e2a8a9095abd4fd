"""Between the wire's steps and the gateway's neutral messages.

Requests arrive as wire input (four forms) and are stored as wire steps; the model sees neutral
messages. This module is the one place that reads wire steps for the model; the other direction
(a model turn as wire steps) is `turn_steps`, and a runner's tool result is `channel.result_steps`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from agents.model_types import (
    ImagePart,
    Message,
    MessagePart,
    TextPart,
    ThoughtPart,
    ToolCallPart,
    ToolResultPart,
)
from agents.tools.declarations import CODE_TOOL
from orchestrator.interactions.web_tools import WEB_TOOLS

__all__ = ["input_steps", "to_messages"]

Step = dict[str, Any]
_CONTENT_TYPES = frozenset({"text", "image", "audio", "video", "document"})
_SERVER_TOOLS = {"code_execution": CODE_TOOL, **{name: name for name in WEB_TOOLS}}
"""Server tool step prefixes (`<prefix>_call` / `<prefix>_result`) and the tool the model called."""


def input_steps(value: Any) -> list[Step]:
    """Normalise the four wire input forms (string, one Content, Content list, Step list) to steps."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "user_input", "content": [{"type": "text", "text": value}]}]
    if isinstance(value, Mapping):
        return [{"type": "user_input", "content": [dict(value)]}]
    items = [dict(item) for item in value]
    if items and all(item.get("type") in _CONTENT_TYPES for item in items):
        return [{"type": "user_input", "content": items}]
    return items


def _content_parts(content: Iterable[Mapping[str, Any]]) -> list[MessagePart]:
    parts: list[MessagePart] = []
    for block in content:
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(text=str(block.get("text", ""))))
        elif kind == "image" and block.get("data"):
            data = base64.b64decode(block["data"])
            parts.append(ImagePart(mime_type=str(block.get("mime_type") or "image/png"), data=data))
        elif kind in _CONTENT_TYPES:
            parts.append(
                TextPart(text=f"[{kind} {block.get('uri') or block.get('mime_type') or ''}]".strip())
            )
    return parts


def _result_output(result: Any) -> tuple[Any, list[ImagePart]]:
    """A function result (object, string or Content list) as model output plus images."""
    if isinstance(result, list) and all(isinstance(x, Mapping) and x.get("type") for x in result):
        parts = _content_parts(result)
        texts = [p.text for p in parts if isinstance(p, TextPart)]
        return "\n".join(texts), [p for p in parts if isinstance(p, ImagePart)]
    return result, []


def _step_parts(step: Mapping[str, Any]) -> tuple[str, list[MessagePart]]:
    kind = step.get("type")
    if kind == "user_input":
        return "user", _content_parts(step.get("content") or [])
    if kind == "model_output":
        return "model", [p for p in _content_parts(step.get("content") or []) if isinstance(p, TextPart)]
    if kind == "thought":
        text = "".join(str(c.get("text", "")) for c in step.get("summary") or [] if c.get("type") == "text")
        return "model", [ThoughtPart(text=text, signature=step.get("signature"))]
    server = _SERVER_TOOLS.get(str(kind).rsplit("_", 1)[0])
    if kind == "function_call" or (server and str(kind).endswith("_call")):
        call = ToolCallPart(
            id=step["id"],
            name=server or step["name"],
            arguments=step.get("arguments") or {},
            signature=step.get("signature"),
        )
        return "model", [call]
    if kind == "function_result" or (server and str(kind).endswith("_result")):
        output, images = _result_output(step.get("result"))
        result = ToolResultPart(
            call_id=step["call_id"],
            name=server or str(step.get("name") or ""),
            output=output,
            images=images,
            is_error=bool(step.get("is_error")),
        )
        return "user", [result]
    return "user", []


def to_messages(steps: Iterable[Mapping[str, Any]]) -> list[Message]:
    """The conversation the model sees, merging consecutive parts of the same role."""
    messages: list[Message] = []
    for step in steps:
        role, parts = _step_parts(step)
        if not parts:
            continue
        if messages and messages[-1].role == role:
            messages[-1] = Message(role=role, parts=[*messages[-1].parts, *parts])
        else:
            messages.append(Message(role=role, parts=parts))
    return messages
