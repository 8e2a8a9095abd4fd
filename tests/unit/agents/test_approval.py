"""Which calls wait for approval (`agents.approval`) and how the orchestrator reads the answer and
the calls a continuation carries (`orchestrator.interactions.approvals`)."""

from __future__ import annotations

from typing import Any

import pytest

from agents.approval import approval_reason
from agents.model_types import ToolCallPart
from agents.protocol import ApprovalRule
from orchestrator.channel.approval_step import approval_step
from orchestrator.interactions.approvals import approval_rules, carried_calls, parse_decision
from orchestrator.interactions.history import to_messages

RM = ApprovalRule(tool="^run_code$", arguments=r"\brm\b")


def _call(name: str = "run_code", call_id: str = "c1", **arguments: Any) -> ToolCallPart:
    return ToolCallPart(id=call_id, name=name, arguments=arguments)


@pytest.mark.parametrize(
    ("rules", "call", "reason"),
    [
        ([RM], _call(code="rm -rf /tmp/x"), "require_approval[0] matches this run_code call"),
        ([RM], _call(code="echo farm"), None),
        ([RM], _call("browser", url="rm"), None),
        ([RM], _call(files=[{"nested": {"cmd": "rm a"}}]), "require_approval[0] matches this run_code call"),
        ([ApprovalRule(tool="^browser$"), ApprovalRule(tool=".", reason="all")], _call(code="x"), "all"),
        ([], _call(code="rm a"), None),
    ],
)
def test_a_rule_matches_the_tool_name_and_any_string_argument(
    rules: list[ApprovalRule], call: ToolCallPart, reason: str | None
) -> None:
    assert approval_reason(rules, call) == reason


def test_rules_gather_along_the_agent_chain_and_the_request_adds_its_own() -> None:
    chain = [
        {"id": "mine", "agent_config": {"require_approval": [{"tool": "a"}]}},
        {"id": "base", "agent_config": {"require_approval": [{"tool": "b"}]}},
    ]
    request = {"agent_config": {"require_approval": [{"tool": "c"}]}}
    assert [r.tool for r in approval_rules(request, chain)] == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("result", "decision"),
    [({"approved": True}, (True, None)), ({"approved": False, "reason": "no"}, (False, "no"))],
)
def test_an_answer_is_an_approved_flag_and_an_optional_reason(
    result: dict[str, Any], decision: tuple[bool, str | None]
) -> None:
    assert parse_decision(result) == decision


@pytest.mark.parametrize(
    "result", ["yes", {"approved": 1}, {"approved": True, "by": "me"}, {"approved": False, "reason": 3}]
)
def test_any_other_answer_is_refused(result: Any) -> None:
    with pytest.raises(ValueError):
        parse_decision(result)


def _paused() -> list[dict[str, Any]]:
    calls = [_call(call_id=f"c{i}", code=f"echo {i}") for i in range(3)]
    steps: list[dict[str, Any]] = [{"type": "user_input", "content": [{"type": "text", "text": "go"}]}]
    steps += [{"type": "code_execution_call", "id": c.id, "arguments": c.arguments} for c in calls]
    steps.append({"type": "code_execution_result", "call_id": "c0", "result": "0"})
    steps.append(approval_step(calls[1], "why"))
    return steps


def test_a_continuation_carries_the_waiting_call_with_its_answer_and_the_calls_after_it() -> None:
    answer = {"type": "function_result", "call_id": "approval_c1", "result": {"approved": True}}
    carried = carried_calls([*_paused(), answer], 1, ["run_code"])
    assert [(c.call.id, c.decision) for c in carried] == [("c1", "approved"), ("c2", None)]
    unanswered = carried_calls([*_paused(), {"type": "user_input", "content": []}], 1, ["run_code"])
    assert [(c.call.id, c.decision) for c in unanswered] == [("c1", "denied"), ("c2", None)]
    assert unanswered[0].reason is not None and "did not answer" in unanswered[0].reason


def test_nothing_is_carried_unless_the_previous_interaction_ended_on_an_approval_request() -> None:
    done = [*_paused(), {"type": "model_output", "content": [{"type": "text", "text": "x"}]}]
    assert carried_calls([*done, {"type": "user_input", "content": []}], 1, ["run_code"]) == []


def test_the_model_never_sees_the_request_or_its_answer() -> None:
    answer = {"type": "function_result", "call_id": "approval_c1", "result": {"approved": True}}
    messages = to_messages([*_paused(), answer])
    names = [getattr(p, "name", None) for m in messages for p in m.parts]
    ids = [getattr(p, "id", None) or getattr(p, "call_id", None) for m in messages for p in m.parts]
    assert "warren_approval" not in names and "approval_c1" not in ids
