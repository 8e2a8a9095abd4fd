"""What the MCP tools show of a run: long values cut, signatures left out, the answer's text."""

from __future__ import annotations

from orchestrator.mcp_server.views import MAX_STRING_CHARS, output_text, run_view, shortened


def test_long_strings_are_cut_and_say_how_much_is_left_out() -> None:
    long = "x" * (MAX_STRING_CHARS + 5)
    assert shortened({"a": [long, "short"]}) == {
        "a": [f"{'x' * MAX_STRING_CHARS}… [5 more characters]", "short"]
    }


def test_signatures_go_and_large_media_keeps_only_its_size() -> None:
    step = {"type": "thought", "signature": "c2ln", "summary": [{"type": "image", "data": "A" * 5000}]}
    assert shortened(step) == {
        "type": "thought",
        "summary": [{"type": "image", "data": "[5000 characters of base64 left out]"}],
    }
    assert shortened({"data": "small"}) == {"data": "small"}  # a short value named data is kept


def _text(kind: str, text: str) -> dict[str, object]:
    return {"type": kind, "content": [{"type": "text", "text": text}]}


def test_output_text_is_the_model_text_after_the_last_input() -> None:
    steps = [_text("user_input", "one"), _text("model_output", "old"), _text("user_input", "two")]
    steps += [_text("model_output", "a"), {"type": "function_call", "id": "c", "name": "f", "arguments": {}}]
    steps += [_text("model_output", "b")]
    assert output_text(steps) == "a\nb"


def test_a_running_view_has_new_steps_and_a_note_an_ended_one_its_text() -> None:
    steps = [_text("user_input", "go"), _text("model_output", "done")]
    running = run_view({"id": "int_1", "status": "in_progress", "steps": steps, "environment_id": "env_1"}, 1)
    assert running["steps"] == [steps[1]] and running["next_step"] == 2 and "note" in running
    assert "output_text" not in running and running["environment_id"] == "env_1"
    ended = run_view({"id": "int_1", "status": "completed", "steps": steps})
    assert ended["output_text"] == "done" and "note" not in ended and len(ended["steps"]) == 2
