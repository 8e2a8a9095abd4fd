"""Human approval of built-in calls (Warren's extension on `requires_action`): the rules an agent
interaction's runner applies, the client's answer, and the calls the next interaction settles.

The runner stops before a call that `agent_config.require_approval` (the agent chain's rules and the
request's, together: a request adds rules, never drops its agent's) or a tool hook guards, and the
interaction pauses on a `warren_approval` request (`channel.approval_step`). The continuation that
answers it carries that call, and every call of the same model answer after it, to its runner:
approved, the call runs first; denied (or not answered at all), the model reads the reason and the
call never runs; the later calls are checked as usual, so the next may pause again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agents.model_types import ToolCallPart
from agents.protocol import ApprovalRule, CarriedCall
from orchestrator.channel.approval_step import approval_id, is_approval_call
from orchestrator.interactions.history import to_messages

__all__ = ["approval_rules", "carried_calls", "parse_decision"]

Step = dict[str, Any]
_NOT_ANSWERED = "the interaction that continued this one did not answer the approval request"
_MAX_REASON = 2000


def approval_rules(request: Mapping[str, Any], chain: Sequence[Mapping[str, Any]]) -> list[ApprovalRule]:
    """Every agent's `require_approval` rules along the chain (a base agent's guards hold for the
    agents built on it), then the request's own."""
    configs = [spec.get("agent_config") or {} for spec in reversed(chain)]
    configs.append(request.get("agent_config") or {})
    return [
        ApprovalRule.model_validate(rule)
        for config in configs
        for rule in config.get("require_approval") or []
    ]


def parse_decision(result: Any) -> tuple[bool, str | None]:
    """The client's answer to an approval request: `{"approved": bool, "reason"?: str}`.

    Raises:
        ValueError: any other shape (the message says what is wrong).
    """
    if not isinstance(result, Mapping) or not isinstance(result.get("approved"), bool):
        raise ValueError('an approval answer is an object {"approved": true|false, "reason": "..."}')
    extra = sorted(set(result) - {"approved", "reason"})
    if extra:
        raise ValueError(f"an approval answer takes only `approved` and `reason`, not {extra[0]!r}")
    reason = result.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > _MAX_REASON):
        raise ValueError(f"`reason` must be a string of at most {_MAX_REASON} characters")
    return result["approved"], reason


def carried_calls(history: list[Step], own: int, builtin_tools: Sequence[str]) -> list[CarriedCall]:
    """The calls this interaction's runner settles first: when the interaction it continues ended
    on an approval request, the waiting call (with the client's answer among this interaction's
    `own` last steps) and the built-in calls after it that have no result.
    """
    prior, inputs = history[: len(history) - own], history[len(history) - own :]
    if not prior or not is_approval_call(prior[-1]):
        return []
    waiting = str(prior[-1]["arguments"]["call_id"])
    answered = {str(s.get("call_id")) for s in prior if str(s.get("type")).endswith("_result")}
    calls = [
        part
        for step in prior
        for message in to_messages([step])
        for part in message.parts
        if isinstance(part, ToolCallPart) and part.name in builtin_tools
    ]
    start = next((i for i, call in enumerate(calls) if call.id == waiting), None)
    if start is None:
        return []
    approved, reason = False, _NOT_ANSWERED
    for step in inputs:
        if step.get("type") == "function_result" and step.get("call_id") == approval_id(waiting):
            approved, answer = parse_decision(step.get("result"))
            reason = answer or "no reason given"
    first = CarriedCall(call=calls[start], decision="approved" if approved else "denied", reason=reason)
    rest = [CarriedCall(call=call) for call in calls[start + 1 :] if call.id not in answered]
    return [first, *rest]
