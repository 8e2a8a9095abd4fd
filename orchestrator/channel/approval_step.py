"""The wire step that asks a person to approve a built-in call, and how it is recognised.

Warren's extension rides on the wire's client functions, so Google's SDKs need nothing new: the
interaction pauses as `requires_action` with a `function_call` of the reserved function
`warren_approval`, whose arguments name the waiting call; the client answers with a
`function_result` for it, `{"approved": true}` or `{"approved": false, "reason": ...}`. The model
never sees either step (`interactions.history`), only its own call's result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.model_types import ToolCallPart
from orchestrator.channel.ports import Step

__all__ = ["APPROVAL_TOOL", "approval_id", "approval_step", "is_approval_call"]

APPROVAL_TOOL = "warren_approval"
"""The reserved client function an approval request is a call of (no client may declare it)."""


def approval_id(call_id: str) -> str:
    """The id of the approval request for the model's call `call_id`."""
    return f"approval_{call_id}"


def approval_step(call: ToolCallPart, reason: str) -> Step:
    """The `function_call` step that pauses the interaction until a person answers."""
    arguments: dict[str, Any] = {
        "call_id": call.id,
        "tool": call.name,
        "arguments": dict(call.arguments),
        "reason": reason,
    }
    return {
        "type": "function_call",
        "id": approval_id(call.id),
        "name": APPROVAL_TOOL,
        "arguments": arguments,
    }


def is_approval_call(step: Mapping[str, Any]) -> bool:
    """Whether a stored step is an approval request. A model that calls `warren_approval` itself gets
    "not available" from its runner; such a call, and its result, are hidden from it like these."""
    return (
        step.get("type") == "function_call"
        and step.get("name") == APPROVAL_TOOL
        and isinstance(step.get("arguments"), Mapping)
        and step.get("id") == approval_id(str(step["arguments"].get("call_id")))
    )
