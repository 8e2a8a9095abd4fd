"""Human approval as the CLI sees it on the wire: the pending request, and the answer's body.

An agent run that meets a guarded tool call ends `requires_action`, its last step a `function_call`
named `warren_approval` (id `approval_<call_id>`) whose arguments name the guarded call's `tool`,
its `arguments` and the `reason`. The client answers it like any client function, with a new
interaction that continues the paused one. The wire is the contract: these names are spelled here
again rather than imported from the server's `orchestrator.interactions.approvals` (the CLI is a
client and imports nothing of the server's).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from orchestrator.cli.client_transport import Json

__all__ = ["APPROVAL_TOOL", "Approval", "answer_body", "answer_of", "approval_id", "pending_approval"]

APPROVAL_TOOL = "warren_approval"
"""The name of the function call an approval request is, and of its answer."""


def approval_id(call_id: str) -> str:
    """The id of the approval request for the guarded call `call_id`."""
    return f"approval_{call_id}"


@dataclass(frozen=True)
class Approval:
    """One approval request: which call waits, for which tool and arguments, and why."""

    id: str
    """The request's own call id (`approval_<call_id>`), which the answer's `call_id` names."""
    call_id: str
    """The guarded tool call's id."""
    tool: str
    """The guarded tool, e.g. `run_code`."""
    arguments: dict[str, Any]
    """The guarded call's arguments."""
    reason: str
    """Why approval is needed (the rule's or the hook's reason; may be empty)."""

    @classmethod
    def of(cls, step: Json) -> Approval | None:
        """The request a step holds, or `None` when it is not a `warren_approval` call."""
        if step.get("type") != "function_call" or step.get("name") != APPROVAL_TOOL:
            return None
        arguments = step.get("arguments")
        if not isinstance(arguments, dict):
            arguments = {}
        inner = arguments.get("arguments")
        return cls(
            id=str(step.get("id")),
            call_id=str(arguments.get("call_id") or ""),
            tool=str(arguments.get("tool") or "?"),
            arguments=inner if isinstance(inner, dict) else {},
            reason=str(arguments.get("reason") or ""),
        )


def answer_of(step: Json) -> tuple[bool, str] | None:
    """`(approved, reason)` when a step answers an approval request, else `None`."""
    if step.get("type") != "function_result":
        return None
    if step.get("name") != APPROVAL_TOOL and not str(step.get("call_id") or "").startswith(approval_id("")):
        return None
    result = step.get("result")
    if isinstance(result, str):
        with contextlib.suppress(ValueError):
            result = json.loads(result)
    if not isinstance(result, dict) or not isinstance(result.get("approved"), bool):
        return None
    return result["approved"], str(result.get("reason") or "")


def pending_approval(interaction: Json) -> Approval | None:
    """The approval a `requires_action` interaction waits on (its last unanswered request), if any."""
    if interaction.get("status") != "requires_action":
        return None
    steps = interaction.get("steps") or []
    answered = {s.get("call_id") for s in steps if s.get("type") == "function_result"}
    for step in reversed(steps):
        request = Approval.of(step)
        if request is not None and request.id not in answered:
            return request
    return None


def answer_body(interaction: Json, request: Approval, approved: bool, reason: str = "") -> Json:
    """The create body of the interaction that answers `request` and continues `interaction`.

    It names the same agent, its `agent_config` (the model it ran with, and any approval rules, so
    the next guarded call is held too) and its environment. A denial's reason reaches the model.
    """
    result: Json = {"approved": True} if approved else {"approved": False}
    if not approved and reason:
        result["reason"] = reason
    body: Json = {
        "previous_interaction_id": interaction["id"],
        "agent": interaction.get("agent"),
        "input": [
            {"type": "function_result", "call_id": request.id, "name": APPROVAL_TOOL, "result": result}
        ],
        "background": True,
    }
    if interaction.get("agent_config"):
        body["agent_config"] = interaction["agent_config"]
    if interaction.get("environment_id"):
        body["environment"] = interaction["environment_id"]
    return body
