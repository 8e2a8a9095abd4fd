"""Interactions through the google-genai SDK against a live `warren serve` (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import pytest
from google import genai
from google.genai import _interactions_errors as errors

from tests.conformance.conftest import Server, script

pytestmark = pytest.mark.conformance


def _text(interaction) -> str:
    return "".join(
        block.text
        for step in interaction.steps
        if step.type == "model_output"
        for block in step.content or []
    )


def test_create_with_a_string_input_completes(client: genai.Client) -> None:
    interaction = client.interactions.create(model="scripted:echo", input="hello warren")
    assert interaction.status == "completed"
    assert interaction.id.startswith("int_")
    assert [step.type for step in interaction.steps] == ["user_input", "model_output"]
    assert _text(interaction) == "hello warren"
    assert interaction.output_text == "hello warren"
    assert interaction.usage.total_tokens > 0


def test_create_with_content_list_and_step_list_inputs(client: genai.Client) -> None:
    from_content = client.interactions.create(
        model="scripted:echo", input=[{"type": "text", "text": "from a content list"}]
    )
    assert from_content.output_text == "from a content list"
    from_steps = client.interactions.create(
        model="scripted:echo",
        input=[{"type": "user_input", "content": [{"type": "text", "text": "from a step list"}]}],
    )
    assert from_steps.output_text == "from a step list"


def test_background_then_poll_to_completed(client: genai.Client) -> None:
    started = client.interactions.create(model=script("slow"), input="go", background=True)
    assert started.status == "in_progress"
    deadline = time.monotonic() + 30
    while (current := client.interactions.get(id=started.id)).status == "in_progress":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert current.status == "completed"
    assert current.output_text == "one two three four five six seven eight nine ten eleven twelve"


def test_stream_events_come_in_the_spec_order(client: genai.Client) -> None:
    events = list(client.interactions.create(model=script("story"), input="tell me", stream=True))
    kinds = [event.event_type for event in events]
    assert kinds[:2] == ["interaction.created", "interaction.status_update"]
    assert kinds[-2:] == ["interaction.status_update", "interaction.completed"]
    assert [e.event_id for e in events] == [str(i) for i in range(len(events))]
    deltas = [e.delta for e in events if e.event_type == "step.delta"]
    text = "".join(d.text for d in deltas if d.type == "text")
    assert text == "Once upon a time a rabbit dug the finest warren in the whole green valley."
    assert sum(1 for d in deltas if d.type == "text") >= 2, "text arrives as several deltas"
    assert any(d.type == "thought_summary" for d in deltas)
    starts = [e for e in events if e.event_type == "step.start"]
    assert [s.step.type for s in starts] == ["thought", "model_output"]
    final = events[-1].interaction
    assert final.status == "completed"
    stored = client.interactions.get(id=final.id)
    assert stored.output_text == text, "the stored interaction holds the assembled deltas"


def test_stream_resumes_after_a_dropped_connection_without_loss_or_repeat(client: genai.Client) -> None:
    stream = client.interactions.create(model=script("slow"), input="go", stream=True, background=True)
    first = []
    for event in stream:
        first.append(event)
        if len(first) == 4:
            break
    stream.close()  # the client drops the connection mid-stream
    interaction_id = first[0].interaction.id
    rest = list(client.interactions.get(id=interaction_id, stream=True, last_event_id=first[-1].event_id))
    ids = [int(e.event_id) for e in first + rest]
    assert ids == list(range(len(ids))), "every event exactly once, in order"
    assert rest[-1].event_type == "interaction.completed"
    replay = list(client.interactions.get(id=interaction_id, stream=True))
    assert [e.event_id for e in replay] == [str(i) for i in ids], "a finished stream replays from the store"


def test_cancel_mid_run(client: genai.Client) -> None:
    started = client.interactions.create(model=script("slow"), input="go", background=True)
    time.sleep(0.5)
    cancelled = client.interactions.cancel(id=started.id)
    assert cancelled.status == "cancelled"
    assert client.interactions.get(id=started.id).status == "cancelled"


def test_delete_then_get_is_not_found(client: genai.Client) -> None:
    interaction = client.interactions.create(model="scripted:echo", input="bye")
    client.interactions.delete(id=interaction.id)
    with pytest.raises(errors.NotFoundError):
        client.interactions.get(id=interaction.id)


def test_function_call_round_trip_through_requires_action(client: genai.Client) -> None:
    tools = [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    first = client.interactions.create(model=script("weather"), input="weather in Paris?", tools=tools)
    assert first.status == "requires_action"
    call = first.steps[-1]
    assert (call.type, call.name, call.arguments) == ("function_call", "get_weather", {"city": "Paris"})
    second = client.interactions.create(
        model=script("weather"),
        previous_interaction_id=first.id,
        tools=tools,
        input=[
            {"type": "function_result", "call_id": call.id, "name": "get_weather", "result": {"temp_c": 21}}
        ],
    )
    assert second.status == "completed"
    assert "temp_c" in second.output_text and "21" in second.output_text


def test_function_result_for_an_unknown_call_is_a_400_naming_the_field(client: genai.Client) -> None:
    first = client.interactions.create(model="scripted:echo", input="hi")
    with pytest.raises(errors.BadRequestError) as caught:
        client.interactions.create(
            model="scripted:echo",
            previous_interaction_id=first.id,
            input=[{"type": "function_result", "call_id": "nope", "result": "x"}],
        )
    assert "input[0].call_id" in str(caught.value)


def test_previous_interaction_id_continues_the_conversation(client: genai.Client) -> None:
    first = client.interactions.create(model=script("two_turns"), input="question one")
    assert first.output_text == "first answer"
    second = client.interactions.create(
        model=script("two_turns"), input="question two", previous_interaction_id=first.id
    )
    assert second.output_text == "second answer to: question two", "the model saw the earlier turn"


def test_another_tenant_cannot_see_an_interaction(server: Server, client: genai.Client) -> None:
    interaction = client.interactions.create(model="scripted:echo", input="mine")
    other = server.client(server.other_key)
    with pytest.raises(errors.NotFoundError):
        other.interactions.get(id=interaction.id)
    with pytest.raises(errors.NotFoundError):
        other.interactions.cancel(id=interaction.id)


def test_a_wrong_key_is_unauthenticated(server: Server) -> None:
    stranger = server.client("wk_notakey_" + "x" * 43)  # keep a reference: a collected Client closes
    with pytest.raises(errors.AuthenticationError):
        stranger.interactions.create(model="scripted:echo", input="x")
