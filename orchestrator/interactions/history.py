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
from orchestrator.channel.approval_step import is_approval_call
from orchestrator.interactions.web_tools import WEB_TOOLS
from orchestrator.mcp_tools import model_name

__all__ = ["input_steps", "split_input", "to_messages"]

Step = dict[str, Any]
_CONTENT_TYPES = frozenset({"text", "image", "audio", "video", "document"})
_NEW_INPUT = frozenset({"user_input", "function_result"})
"""Steps a client sends as this turn's input; anything before the last run of them is replayed history."""
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


def split_input(value: Any) -> tuple[list[Step], list[Step]]:
    """The wire input as (replayed history, this turn's input): the trailing `user_input` and
    `function_result` steps are the turn's own, stored and echoed as its first steps; what comes
    before (a client replaying a conversation) reaches the model but is not echoed, since
    clients such as the Vercel AI SDK read every `model_output` step of a response as its answer.
    """
    steps = input_steps(value)
    start = len(steps)
    while start and steps[start - 1].get("type") in _NEW_INPUT:
        start -= 1
    return steps[:start], steps[start:]


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
    if kind in ("mcp_server_tool_call", "mcp_server_tool_result"):
        return _mcp_parts(step)
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


def _mcp_parts(step: Mapping[str, Any]) -> tuple[str, list[MessagePart]]:
    """An MCP tool's call or result, under the name the model called it by (`<server>__<tool>`)."""
    name = model_name(str(step.get("server_name") or ""), str(step.get("name") or ""))
    if step.get("type") == "mcp_server_tool_call":
        arguments = step.get("arguments") or {}
        call = ToolCallPart(id=step["id"], name=name, arguments=arguments, signature=step.get("signature"))
        return "model", [call]
    output, images = _result_output(step.get("result"))
    return "user", [ToolResultPart(call_id=step["call_id"], name=name, output=output, images=images)]


def to_messages(steps: Iterable[Mapping[str, Any]]) -> list[Message]:
    """The conversation the model sees, merging consecutive parts of the same role; a text
    signature goes back on its text (`_signed_texts`). Approval requests and their answers are
    between Warren and the client: the model sees only its own call's result."""
    steps = list(steps)
    approvals = {step["id"] for step in steps if is_approval_call(step)}
    messages: list[Message] = []
    for step in steps:
        if step.get("id") in approvals or step.get("call_id") in approvals:
            continue
        role, parts = _step_parts(step)
        if not parts:
            continue
        if messages and messages[-1].role == role:
            messages[-1] = Message(role=role, parts=[*messages[-1].parts, *parts])
        else:
            messages.append(Message(role=role, parts=parts))
    return [Message(role=m.role, parts=_signed_texts(m.parts)) if m.role == "model" else m for m in messages]


def _signed_texts(parts: list[MessagePart]) -> list[MessagePart]:
    """A model turn's parts with each signature-only thought moved onto an unsigned text.

    Warren stores a text's signature as a signature-only `thought` step after the turn's text
    (`turn_steps`); Google's own steps put it just before the text. Either way it signs the nearest
    unsigned text of the same turn, looking back first; with no such text it stays a thought.
    """
    out: list[MessagePart | None] = list(parts)
    for index, part in enumerate(parts):
        if not (isinstance(part, ThoughtPart) and part.signature and not part.text):
            continue
        before = [i for i in range(index - 1, -1, -1) if _unsigned_text(out[i])]
        after = [i for i in range(index + 1, len(out)) if _unsigned_text(out[i])]
        if before or after:
            target = (before or after)[0]
            text = out[target]
            assert isinstance(text, TextPart)
            out[target] = text.model_copy(update={"signature": part.signature})
            out[index] = None
    return [part for part in out if part is not None]


def _unsigned_text(part: MessagePart | None) -> bool:
    return isinstance(part, TextPart) and part.signature is None
