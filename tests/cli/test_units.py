"""Pure pieces of the CLI: the detach escape, durations, step assembly."""

from __future__ import annotations

import pytest

from orchestrator.cli.common import UsageProblem
from orchestrator.cli.keyboard import EscapeFilter
from orchestrator.cli.run_job import parse_duration
from orchestrator.cli.step_assembler import StepAssembler
from orchestrator.cli.step_text import describe


def test_escape_detaches_only_at_line_start() -> None:
    keys = EscapeFilter()
    assert keys.feed(b"a~.b") == b"a~.b" and not keys.detached
    assert keys.feed(b"\r~~") == b"\r~"
    assert keys.feed(b"\r~") == b"\r" and keys.feed(b".") == b"" and keys.detached


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("1h30m", 5400)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0s", "5x", "m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageProblem):
        parse_duration(text)


def test_steps_are_assembled_from_deltas() -> None:
    steps = StepAssembler()
    events = [
        {"event_type": "step.start", "index": 1, "step": {"type": "function_call", "id": "c", "name": "f"}},
        {"event_type": "step.delta", "index": 1, "delta": {"type": "arguments_delta", "arguments": '{"a":'}},
        {"event_type": "step.delta", "index": 1, "delta": {"type": "arguments_delta", "arguments": "1}"}},
    ]
    assert [steps.feed(e) for e in events] == [None, None, None]
    finished = steps.feed({"event_type": "step.stop", "index": 1})
    assert finished is not None and describe(finished) == ("call", "f(a=1)")
