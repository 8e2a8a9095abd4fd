"""Approval pauses at the channel (issue 17, item 4): the real runner loop against the hub.

The runner stops before a guarded call and the hub stores the approval request last; the next
turn's carried calls run first (approved) or are answered with the denial; and a runner is trusted
with none of it: an approval naming a call the model never made, or one on another ending, is
refused with nothing stored, and carried calls a restarted runner never reported are never run.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from agents.channel import Channel
from agents.model_types import ToolCallPart
from agents.protocol import PREFIX, ApprovalRule, CarriedCall, FinishReport, StepCall, StepContext, WorkItem
from agents.runner import Runner
from tests.unit.channel.test_steps import CONVERSATION, ENV, FakeTools, Rig, _drive, _work, rig

__all__ = ["rig"]  # the fixture, shared with the steps tests

GUARD = [ApprovalRule(tool="^write_file$", reason="writes files")]


async def test_the_loop_stops_before_a_guarded_call_and_the_request_is_stored_last(rig: Rig) -> None:
    tools = FakeTools()
    work = _work(rig).model_copy(update={"approval_rules": GUARD})
    report, outcome = await _drive(rig, work, tools)
    assert outcome == report.outcome == "requires_action"
    assert tools.calls == [], "the guarded call did not run"
    stored = await rig.stored()
    call, request = stored[-2], stored[-1]
    assert call["type"] == "function_call" and call["name"] == "write_file"
    assert request == {
        "type": "function_call",
        "id": f"approval_{call['id']}",
        "name": "warren_approval",
        "arguments": {
            "call_id": call["id"],
            "tool": "write_file",
            "arguments": call["arguments"],
            "reason": "writes files",
        },
    }


@pytest.mark.parametrize("decision", ["approved", "denied"])
async def test_carried_calls_run_first_when_approved_and_never_when_denied(rig: Rig, decision: str) -> None:
    earlier = ToolCallPart(id="c_old", name="write_file", arguments={"path": "x", "content": "1"})
    after = ToolCallPart(id="c_after", name="list_files", arguments={"path": "."})
    carried = [
        CarriedCall.model_validate({"call": earlier, "decision": decision, "reason": "no"}),
        CarriedCall(call=after),
    ]
    tools = FakeTools()
    await _drive(rig, _work(rig).model_copy(update={"carried": carried}), tools)
    ran = [name for name, _ in tools.calls]
    assert ran[:2] == (
        ["write_file", "list_files"] if decision == "approved" else ["list_files", "write_file"]
    )
    results = [s for s in await rig.stored() if s["type"] == "function_result"]
    assert [r["call_id"] for r in results[:2]] == ["c_old", "c_after"], "settled first, in order"
    assert bool(results[0].get("is_error")) is (decision == "denied")
    if decision == "denied":
        assert "denied approval for this call: no" in results[0]["result"][0]["text"]


async def _forged_finish(
    rig: Rig, approval: dict[str, str], outcome: str, results: list[dict[str, str]] | None = None
) -> httpx.Response:
    running = asyncio.create_task(rig.hub.run(ENV, rig.model, _work(rig), rig.recorder(), CONVERSATION))
    async with httpx.AsyncClient(
        transport=rig.transport(), base_url="http://o" + PREFIX, headers={"authorization": "Bearer t"}
    ) as runner:
        assert (await runner.get("/work", params={"wait_s": 5})).status_code == 200
        step0 = StepCall(interaction_id=rig.interaction_id, turn=0, context=StepContext())
        assert (await runner.post("/step", content=step0.model_dump_json())).status_code == 200
        body = {"interaction_id": rig.interaction_id, "outcome": outcome, "turn": 1, "approval": approval}
        body["results"] = results or []
        answer = await runner.post("/finish", json=body)
    running.cancel()
    return answer


async def test_a_runner_cannot_ask_approval_for_a_call_the_model_never_made(rig: Rig) -> None:
    answer = await _forged_finish(rig, {"call_id": "call_forged", "reason": "x"}, "requires_action")
    assert answer.status_code >= 400 and "approval.call_id" in answer.text
    assert not [s for s in await rig.stored() if s.get("name") == "warren_approval"]


async def test_an_approval_rides_only_on_a_requires_action_ending(rig: Rig) -> None:
    answer = await _forged_finish(rig, {"call_id": "call_0_0", "reason": "x"}, "completed")
    stored = await rig.stored()
    assert answer.status_code >= 400 and "requires_action" in answer.text
    assert not [s for s in stored if s.get("name") == "warren_approval"]


async def test_carried_calls_a_restarted_runner_never_reported_are_never_run(rig: Rig) -> None:
    carried = [
        CarriedCall(call=ToolCallPart(id="c_lost", name="write_file", arguments={}), decision="approved")
    ]
    work: WorkItem = _work(rig).model_copy(update={"carried": carried})
    running = asyncio.create_task(rig.hub.run(ENV, rig.model, work, rig.recorder(), CONVERSATION))
    channel = Channel(rig.socket(), "token")
    pulled = await channel.next_work(wait_s=5)
    assert pulled is not None
    tools = FakeTools()
    # A runner that starts the turn without them (as after `_requeue`): they are not handed out again.
    without = pulled.model_copy(update={"carried": []})
    outcome = asyncio.create_task(Runner(channel, tools, workspace=rig.root).run(without))
    report: FinishReport = await running
    rig.hub.committed(rig.interaction_id)
    assert await outcome == report.outcome == "completed"
    assert ("write_file", {}) not in tools.calls
    lost = next(s for s in await rig.stored() if s.get("call_id") == "c_lost")
    assert lost["is_error"] and "not run again" in lost["result"][0]["text"]
    await channel.close()


async def test_a_runner_cannot_ask_approval_for_a_call_it_reports_as_run(rig: Rig) -> None:
    ran = {
        "interaction_id": rig.interaction_id,
        "call_id": "call_0_0",
        "name": "write_file",
        "output": "done",
    }
    answer = await _forged_finish(rig, {"call_id": "call_0_0", "reason": "x"}, "requires_action", [ran])
    assert answer.status_code >= 400 and "approval.call_id" in answer.text
    stored = await rig.stored()
    assert not [s for s in stored if s.get("name") == "warren_approval"]
    assert not [s for s in stored if s["type"] == "function_result"], "nothing of the refused report is kept"
