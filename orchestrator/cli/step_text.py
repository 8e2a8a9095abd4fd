"""A step as a human reads it: a label (`answer`, `call`, `result`...) and its text, shortened.

Shared by the plain and live views and by `warren logs`; long results are cut to a few hundred
characters with a count of the rest, so a large tool output never floods a CI log.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.cli.approvals import Approval, answer_of

__all__ = ["Json", "approval_text", "call_text", "content_text", "describe", "step_text"]

Json = dict[str, Any]
_MAX_RESULT_CHARS = 600


def content_text(content: Any) -> str:
    """The text of wire content (a string, a content block, or a list of them); media as `<type>`."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or f"<{content.get('type', 'content')}>")
    if isinstance(content, list):
        return "".join(content_text(c) for c in content)
    return json.dumps(content) if content is not None else ""


def _short(text: str, limit: int = _MAX_RESULT_CHARS) -> str:
    text = text.rstrip()
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more characters)"


def _args(arguments: Any) -> str:
    if not isinstance(arguments, dict):
        return str(arguments)
    return ", ".join(f"{k}={_short(repr(v), 120)}" for k, v in arguments.items())


def call_text(arguments: Any) -> str:
    """A tool call's arguments in short: the code of a code call, else `name=value` pairs."""
    if isinstance(arguments, dict) and isinstance(arguments.get("code"), str):
        return _short(arguments["code"])
    return _args(arguments)


def approval_text(request: Approval) -> str:
    """`run_code needs approval (reason):` and the call's arguments on the next line."""
    why = f" ({request.reason})" if request.reason else ""
    return f"{request.tool} needs approval{why}:\n{call_text(request.arguments)}"


def _answer_text(step: Json) -> str | None:
    """`approved` or `denied: reason` for the answer to an approval request, else `None`."""
    answer = answer_of(step)
    if answer is None:
        return None
    approved, reason = answer
    return "approved" if approved else f"denied: {reason}" if reason else "denied"


def step_text(step: Json) -> str:
    """The human text of a step (thought, answer, call, result)."""
    kind = step.get("type")
    request = Approval.of(step)
    if request is not None:
        return approval_text(request)
    if (answer := _answer_text(step)) is not None:
        return answer
    if kind == "thought":
        return content_text(step.get("summary") or [])
    if kind in ("model_output", "user_input"):
        if step.get("error"):
            return str(step["error"].get("message") or step["error"])
        return content_text(step.get("content") or [])
    if kind == "function_call":
        return f"{step.get('name')}({_args(step.get('arguments'))})"
    if kind == "code_execution_call":
        arguments = step.get("arguments") or {}
        return str(arguments.get("code") or _args(arguments))
    if kind in ("function_result", "code_execution_result") or str(kind).endswith("_result"):
        return _short(content_text(step.get("result")))
    return _short(json.dumps({k: v for k, v in step.items() if k != "type"}))


def describe(step: Json) -> tuple[str, str]:
    """A step's label and text: `("answer", "Done.")`."""
    kind = str(step.get("type"))
    labels = {
        "thought": "thought",
        "model_output": "error" if step.get("error") else "answer",
        "user_input": "input",
        "function_call": "call",
        "code_execution_call": "code",
    }
    label = labels.get(kind) or ("result" if kind.endswith("_result") else kind)
    if Approval.of(step) is not None or answer_of(step) is not None:
        label = "approval"
    if label == "result" and step.get("is_error"):
        label = "result error"
    return label, step_text(step)
