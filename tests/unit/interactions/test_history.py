"""Wire steps to the model's messages: text signatures, and replayed history kept out of the echo."""

from __future__ import annotations

from typing import Any

import pytest

from agents.model_types import TextPart, ThoughtPart, ToolCallPart
from orchestrator.interactions.history import split_input, to_messages


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "content": [{"type": "text", "text": text}]}


SIG = {"type": "thought", "signature": "c2ln"}


@pytest.mark.parametrize(
    "turn",
    [[_text("model_output", "Hi."), SIG], [SIG, _text("model_output", "Hi.")]],
    ids=["warren-order", "google-order"],
)
def test_a_signature_only_thought_signs_the_text_of_its_turn(turn: list[dict[str, Any]]) -> None:
    messages = to_messages([_text("user_input", "hello"), *turn, _text("user_input", "again")])
    assert [m.role for m in messages] == ["user", "model", "user"]
    assert messages[1].parts == [TextPart(text="Hi.", signature="c2ln")]


def test_a_signature_with_no_unsigned_text_stays_a_thought() -> None:
    call = {"type": "function_call", "id": "c1", "name": "f", "arguments": {}, "signature": "Y2FsbA=="}
    messages = to_messages([_text("user_input", "go"), call, SIG])
    assert messages[1].parts == [
        ToolCallPart(id="c1", name="f", arguments={}, signature="Y2FsbA=="),
        ThoughtPart(text="", signature="c2ln"),
    ]


def test_a_thought_with_a_summary_is_never_moved() -> None:
    thought = {"type": "thought", "signature": "c2ln", "summary": [{"type": "text", "text": "plan"}]}
    messages = to_messages([_text("user_input", "go"), thought, _text("model_output", "Hi.")])
    assert messages[1].parts == [ThoughtPart(text="plan", signature="c2ln"), TextPart(text="Hi.")]


def test_split_input_keeps_the_trailing_client_steps_as_the_turn() -> None:
    replay = [_text("user_input", "a"), _text("model_output", "b"), _text("user_input", "c")]
    assert split_input(replay) == (replay[:2], replay[2:])
    result = {"type": "function_result", "call_id": "c1", "result": "ok"}
    call = {"type": "function_call", "id": "c1", "name": "f", "arguments": {}}
    assert split_input([_text("user_input", "a"), call, result]) == (
        [_text("user_input", "a"), call],
        [result],
    )
    assert split_input("hi") == ([], [_text("user_input", "hi")])
    assert split_input(None) == ([], [])
