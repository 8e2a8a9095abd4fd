"""Human approval of built-in calls (issue 17, item 4), with real sandboxes through the public API.

An agent interaction whose `agent_config.require_approval` (or a workspace hook answering "ask")
guards a call pauses as `requires_action` before it runs, on a `warren_approval` function call that
names it. The client answers like any client function result: approved, the call runs at the start
of the next interaction and the calls after it follow; denied, the model reads the reason and the
call never runs (its side effect is checked in the workspace).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.lifecycle.conftest import Server, Start, V
from tests.integration.lifecycle.test_hooks import _environment, _file

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

GUARD_RM = [{"tool": "^run_code$", "arguments": r"\brm\b", "reason": "it deletes files"}]
ASK = """import json, sys
event = json.load(sys.stdin)
if "secret" in event["tool_input"].get("code", ""):
    print(json.dumps({"decision": "ask", "reason": "it reads the secret"}))
"""


def _bash(*commands: str) -> dict[str, Any]:
    calls = [{"name": "run_code", "arguments": {"language": "bash", "code": c}} for c in commands]
    return {"tool_calls": calls}


async def _start(
    server: Server, tmp: Path, environment: str, turns: list[dict[str, Any]], rules: Any = None
) -> dict[str, Any]:
    script = tmp / f"approval{abs(hash(json.dumps(turns)))}.json"
    script.write_text(json.dumps({"turns": turns}))
    config: dict[str, Any] = {"type": "antigravity", "model": f"scripted:{script.stem}"}
    if rules is not None:
        config["require_approval"] = rules
    body = {"agent": "default", "agent_config": config, "environment": environment, "input": "go"}
    answer = await server.client.post(f"{V}/interactions", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _answer(server: Server, paused: dict[str, Any], input_: Any) -> dict[str, Any]:
    body = {
        "agent": "default",
        "agent_config": paused["agent_config"],
        "previous_interaction_id": paused["id"],
        "input": input_,
    }
    answer = await server.client.post(f"{V}/interactions", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _request(body: dict[str, Any]) -> dict[str, Any]:
    assert body["status"] == "requires_action", body
    step = body["steps"][-1]
    assert step["type"] == "function_call" and step["name"] == "warren_approval", step
    return dict(step)


def _decision(request: dict[str, Any], approved: bool, reason: str | None = None) -> list[dict[str, Any]]:
    return _answer_of(request, {"approved": approved} | ({"reason": reason} if reason else {}))


def _answer_of(request: dict[str, Any], result: Any) -> list[dict[str, Any]]:
    return [
        {"type": "function_result", "call_id": request["id"], "name": "warren_approval", "result": result}
    ]


def _code_results(body: dict[str, Any]) -> list[tuple[str, bool, str]]:
    return [
        (s["call_id"], bool(s.get("is_error")), str(s["result"]))
        for s in body["steps"]
        if s["type"] == "code_execution_result"
    ]


async def test_a_guarded_call_waits_then_runs_once_approved_and_the_calls_after_it_follow(
    start: Start, tmp_path: Path
) -> None:
    turns = [
        _bash("echo one > one.txt", "rm keep.txt", "echo after > after.txt"),
        {"text": "done: {last_result}"},
    ]
    async with start(scripts_dir=tmp_path) as server:
        environment = await _environment(server, {"keep.txt": "precious"})
        paused = await _start(server, tmp_path, environment, turns, GUARD_RM)
        request = _request(paused)
        files_paused = [await _file(server, environment, n) for n in ("one.txt", "keep.txt", "after.txt")]
        done = await _answer(server, paused, _decision(request, approved=True))
        files_done = [await _file(server, environment, n) for n in ("keep.txt", "after.txt")]
        twice = {
            "agent": "default",
            "agent_config": paused["agent_config"],
            "previous_interaction_id": paused["id"],
        }
        again = await server.client.post(
            f"{V}/interactions", json={**twice, "input": _decision(request, True)}
        )
    calls = [s for s in paused["steps"] if s["type"] == "code_execution_call"]
    assert request["arguments"] == {
        "call_id": calls[1]["id"],
        "tool": "run_code",
        "arguments": {"language": "bash", "code": "rm keep.txt"},
        "reason": "it deletes files",
    }
    assert request["id"] == f"approval_{calls[1]['id']}"
    assert [c for c, _, _ in _code_results(paused)] == [calls[0]["id"]], "only the call before it ran"
    assert files_paused == ["one\n", "precious", None]
    assert done["status"] == "completed", done
    assert [(c, e) for c, e, _ in _code_results(done)] == [(calls[1]["id"], False), (calls[2]["id"], False)]
    assert files_done == [None, "after\n"], "the approved call ran, then the one after it"
    assert done["steps"][-1]["type"] == "model_output"
    assert again.status_code == 400, "an approval is settled once: a second answer would run the call again"
    assert again.json()["error"]["message"].startswith("previous_interaction_id: "), again.text


async def test_two_answers_sent_at_once_settle_the_approval_once(start: Start, tmp_path: Path) -> None:
    """The intake's "settled once" check reads the store: two answers at once must not both pass it."""
    turns = [_bash("echo ran >> ran.log; rm keep.txt"), {"text": "done: {last_result}"}]
    async with start(scripts_dir=tmp_path) as server:
        environment = await _environment(server, {"keep.txt": "precious"})
        paused = await _start(server, tmp_path, environment, turns, GUARD_RM)
        body = {
            "agent": "default",
            "agent_config": paused["agent_config"],
            "previous_interaction_id": paused["id"],
            "input": _decision(_request(paused), approved=True),
        }
        answers = await asyncio.gather(
            *(server.client.post(f"{V}/interactions", json=body) for _ in range(2))
        )
        ran = await _file(server, environment, "ran.log")
    assert sorted(a.status_code for a in answers) == [200, 400], [a.text for a in answers]
    [done] = [a.json() for a in answers if a.status_code == 200]
    assert done["status"] == "completed", done
    assert ran == "ran\n", "the approved call ran once"


async def test_a_denied_call_never_runs_and_the_model_reads_the_reason(start: Start, tmp_path: Path) -> None:
    turns = [_bash("rm keep.txt"), {"text": "model saw: {last_result}"}]
    async with start(scripts_dir=tmp_path) as server:
        environment = await _environment(server, {"keep.txt": "precious"})
        paused = await _start(server, tmp_path, environment, turns, GUARD_RM)
        done = await _answer(server, paused, _decision(_request(paused), False, "not on this machine"))
        kept = await _file(server, environment, "keep.txt")
    [(_, is_error, result)] = _code_results(done)
    assert is_error and "denied approval" in result and "not on this machine" in result
    text = done["steps"][-1]["content"][0]["text"]
    assert "not on this machine" in text, "the model's next request held the reason"
    assert kept == "precious", "the denied command never ran"


async def test_a_hook_can_ask_and_a_continuation_that_does_not_answer_denies(
    start: Start, tmp_path: Path
) -> None:
    hooks = {"guard": {"pre_tool_execution": [{"matcher": "^run_code$", "hooks": [
        {"type": "command", "command": "python3 .agents/ask.py"}]}]}}  # fmt: skip
    files = {".agents/hooks.json": json.dumps(hooks), ".agents/ask.py": ASK}
    turns = [_bash("cat secret > seen.txt"), {"text": "{last_result}"}]
    async with start(scripts_dir=tmp_path) as server:
        environment = await _environment(server, {**files, "secret": "s3"})
        approved_run = await _start(server, tmp_path, environment, turns)
        request = _request(approved_run)
        done = await _answer(server, approved_run, _decision(request, approved=True))
        seen = await _file(server, environment, "seen.txt")
        other = await _environment(server, {**files, "secret": "s3"})
        unanswered_run = await _start(server, tmp_path, other, turns)
        _request(unanswered_run)
        moved_on = await _answer(server, unanswered_run, "never mind")
        unseen = await _file(server, other, "seen.txt")
    assert request["arguments"]["reason"] == "hook .agents/hooks.json:guard: it reads the secret"
    assert done["status"] == "completed" and seen == "s3", "approved: the hook's ask lets it run"
    [(_, is_error, result)] = _code_results(moved_on)
    assert is_error and "did not answer the approval request" in result
    assert unseen is None, "no answer is no approval"


async def test_bad_approval_input_is_refused_by_field(start: Start, tmp_path: Path) -> None:
    turns = [_bash("rm keep.txt"), {"text": "done"}]
    async with start(scripts_dir=tmp_path) as server:
        environment = await _environment(server, {"keep.txt": "precious"})
        paused = await _start(server, tmp_path, environment, turns, GUARD_RM)
        request = _request(paused)
        body = {
            "agent": "default",
            "previous_interaction_id": paused["id"],
            "agent_config": paused["agent_config"],
        }
        shapes = [{"approved": "yes"}, {"approved": True, "why": "x"}, "approve"]
        answers = [
            await server.client.post(f"{V}/interactions", json={**body, "input": _answer_of(request, r)})
            for r in shapes
        ]
        rules = {"type": "antigravity", "require_approval": [{"tool": "(run_code"}]}
        bad_rule = await server.client.post(
            f"{V}/interactions",
            json={"agent": "default", "input": "x", "environment": environment, "agent_config": rules},
        )
        reserved = await server.client.post(
            f"{V}/interactions",
            json={
                "model": "scripted:demo",
                "input": "x",
                "tools": [{"type": "function", "name": "warren_approval"}],
            },
        )
        kept = await _file(server, environment, "keep.txt")
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["message"].startswith("input[0].result: "), answer.text
    assert bad_rule.status_code == 400, bad_rule.text
    assert bad_rule.json()["error"]["message"].startswith("agent_config.require_approval[0].tool: ")
    assert reserved.status_code == 400, reserved.text
    assert reserved.json()["error"]["message"].startswith("tools[0].name: ")
    assert kept == "precious"
