"""Pure pieces of the CLI's approval support: finding the pending request, rendering it and its
answer in `warren logs` and `warren run`, and the body of the continuation that answers it."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from orchestrator.cli.agent_file import load_agent_file
from orchestrator.cli.approval_prompt import Unanswered, ask_approval
from orchestrator.cli.approvals import APPROVAL_TOOL, Approval, answer_body, approval_id, pending_approval
from orchestrator.cli.common import UsageProblem
from orchestrator.cli.render import PlainView
from orchestrator.cli.run_report import chain_usage
from orchestrator.cli.step_text import describe

Json = dict[str, Any]

_CODE = "echo approved > marker.txt\nls -l"
_GUARDED: Json = {
    "type": "code_execution_call",
    "id": "call_0_0",
    "arguments": {"language": "bash", "code": _CODE},
}
_REQUEST: Json = {
    "type": "function_call",
    "id": approval_id("call_0_0"),
    "name": APPROVAL_TOOL,
    "arguments": {
        "call_id": "call_0_0",
        "tool": "run_code",
        "arguments": {"language": "bash", "code": _CODE},
        "reason": "writes to the workspace",
    },
}


def _paused(*steps: Json, status: str = "requires_action") -> Json:
    return {
        "id": "int_paused",
        "status": status,
        "agent": "agent_x",
        "agent_config": {
            "type": "antigravity",
            "model": "scripted:approve",
            "require_approval": [{"tool": "^run_code$"}],
        },
        "environment_id": "env_1",
        "steps": list(steps),
    }


def _answer(result: Json) -> Json:
    return {
        "type": "function_result",
        "call_id": approval_id("call_0_0"),
        "name": APPROVAL_TOOL,
        "result": result,
    }


def test_the_request_renders_as_an_approval_with_the_code_and_reason() -> None:
    label, text = describe(_REQUEST)
    assert label == "approval"
    assert text == f"run_code needs approval (writes to the workspace):\n{_CODE}"


def test_a_non_code_request_shows_its_arguments() -> None:
    request = {
        **_REQUEST,
        "arguments": {**_REQUEST["arguments"], "tool": "browse", "arguments": {"url": "https://a.test/"}},
    }
    assert describe(request) == (
        "approval",
        "browse needs approval (writes to the workspace):\nurl='https://a.test/'",
    )


def test_answers_render_as_approved_or_denied_with_the_reason() -> None:
    assert describe(_answer({"approved": True})) == ("approval", "approved")
    assert describe(_answer({"approved": False, "reason": "not today"})) == ("approval", "denied: not today")
    assert describe(_answer({"approved": False})) == ("approval", "denied")


def test_other_function_calls_and_results_are_unchanged() -> None:
    call = {"type": "function_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Oslo"}}
    result = {"type": "function_result", "call_id": "c1", "name": "get_weather", "result": {"approved": True}}
    assert describe(call) == ("call", "get_weather(city='Oslo')")
    assert describe(result)[0] == "result"


def test_plain_view_prints_the_request_and_answer_lines() -> None:
    buffer = io.StringIO()
    view = PlainView(Console(file=buffer, force_terminal=False))
    view.step(_REQUEST)
    view.step(_answer({"approved": False, "reason": "no \x1b[31mcolour"}))
    assert buffer.getvalue() == (
        f"[approval] run_code needs approval (writes to the workspace):\n{_CODE}\n"
        "[approval] denied: no \\x1b[31mcolour\n"
    )


def test_the_pending_request_is_the_last_unanswered_one_of_a_paused_interaction() -> None:
    request = pending_approval(_paused(_GUARDED, _REQUEST))
    assert request is not None
    assert (request.id, request.call_id, request.tool, request.reason) == (
        "approval_call_0_0",
        "call_0_0",
        "run_code",
        "writes to the workspace",
    )
    assert request.arguments == {"language": "bash", "code": _CODE}
    assert pending_approval(_paused(_GUARDED, _REQUEST, _answer({"approved": True}))) is None
    assert pending_approval(_paused(_GUARDED, _REQUEST, status="completed")) is None
    client_call = {"type": "function_call", "id": "c1", "name": "get_weather", "arguments": {}}
    assert pending_approval(_paused(client_call)) is None


def test_the_answer_continues_with_the_same_agent_config_and_environment() -> None:
    paused = _paused(_GUARDED, _REQUEST)
    request = pending_approval(paused)
    assert request is not None
    approved = answer_body(paused, request, approved=True)
    assert approved == {
        "previous_interaction_id": "int_paused",
        "agent": "agent_x",
        "agent_config": paused["agent_config"],
        "environment": "env_1",
        "background": True,
        "input": [_answer({"approved": True})],
    }
    denied = answer_body(paused, request, approved=False, reason="too risky")
    assert denied["input"] == [_answer({"approved": False, "reason": "too risky"})]
    assert answer_body(paused, request, approved=False)["input"] == [_answer({"approved": False})]
    assert answer_body(paused, request, approved=True, reason="ignored")["input"] == [
        _answer({"approved": True})
    ]


def test_a_chain_s_usage_adds_up_its_token_counts() -> None:
    first = {"usage": {"total_input_tokens": 10, "total_output_tokens": 2, "total_tokens": 12}}
    second = {"usage": {"total_input_tokens": 30, "total_tokens": 35, "note": "x"}}
    assert chain_usage([first, second, {}]) == {
        "total_input_tokens": 40,
        "total_output_tokens": 2,
        "total_tokens": 47,
    }


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A real pseudo-terminal as this process's stdin; yields the end a person types into."""
    typist, screen = pty.openpty()
    monkeypatch.setattr(sys, "stdin", os.fdopen(screen, "r", closefd=False))
    try:
        yield typist
    finally:
        os.close(typist)
        os.close(screen)


def _request() -> Approval:
    request = Approval.of(_REQUEST)
    assert request is not None
    return request


def test_the_prompt_reads_yes(terminal: int) -> None:
    os.write(terminal, b"y\n")
    assert asyncio.run(ask_approval(_request())) == (True, "")


def test_the_prompt_denies_on_no_and_reads_the_reason_from_the_next_line(terminal: int) -> None:
    os.write(terminal, b"n\nnot in this repo\n")
    assert asyncio.run(ask_approval(_request())) == (False, "not in this repo")


def test_the_prompt_denies_on_enter_and_ends_on_end_of_input(terminal: int) -> None:
    os.write(terminal, b"\n\x04")  # Enter (the default, No), then Ctrl-D at the reason
    assert asyncio.run(ask_approval(_request())) == (False, "")
    os.write(terminal, b"\x04")
    assert asyncio.run(ask_approval(_request())) is Unanswered.CLOSED


def test_ctrl_c_at_the_prompt_leaves_it_unanswered(terminal: int) -> None:
    async def interrupted() -> tuple[bool, str] | Unanswered:
        asking = asyncio.create_task(ask_approval(_request()))
        await asyncio.sleep(0.2)  # the prompt waits; its SIGINT handler is in place
        os.kill(os.getpid(), signal.SIGINT)
        return await asking

    assert asyncio.run(interrupted()) is Unanswered.INTERRUPTED


def test_an_agent_file_s_approval_rules_go_into_its_agent_config(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        "id: careful\nrequire_approval:\n"
        "  - {tool: ^run_code$, arguments: 'rm |git push', reason: deletes or pushes}\n"
        "  - {tool: browse}\n"
    )
    assert load_agent_file(path)["agent_config"] == {
        "type": "antigravity",
        "require_approval": [
            {"tool": "^run_code$", "arguments": "rm |git push", "reason": "deletes or pushes"},
            {"tool": "browse"},
        ],
    }
    path.write_text("id: careful\nrequire_approval:\n  - {arguments: x}\n")
    with pytest.raises(UsageProblem, match=r"agent.yaml:3: require_approval\[0\].tool: Field required"):
        load_agent_file(path)
