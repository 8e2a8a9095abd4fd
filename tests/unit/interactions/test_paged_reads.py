"""Issue 14: the service reads a long stored log in bounded pages, and still answers all of it."""

from __future__ import annotations

from orchestrator.interactions.service import InteractionService
from orchestrator.store import InteractionCreate, Store
from orchestrator.store.step_reads import MAX_ROWS

LONG = 2 * MAX_ROWS + 7


async def _long_interaction(store: Store) -> str:
    record = await store.interactions.create("t1", InteractionCreate(request={}, model="scripted:echo"))
    steps = [{"type": "model_output", "content": [{"type": "text", "text": str(i)}]} for i in range(LONG)]
    events = [{"event_type": "step.stop", "index": i} for i in range(LONG)]
    await store.steps.append_batch("t1", record.id, steps, events, interaction={"status": "completed"})
    return record.id


async def test_get_returns_every_step_of_a_log_longer_than_one_read(service: InteractionService) -> None:
    interaction_id = await _long_interaction(service.store)
    body = await service.get("t1", interaction_id)
    assert [step["content"][0]["text"] for step in body["steps"]] == [str(i) for i in range(LONG)]


async def test_the_stored_replay_pages_through_every_event(service: InteractionService) -> None:
    interaction_id = await _long_interaction(service.store)
    replay = [event async for event in service.events("t1", interaction_id)]
    assert [event["index"] for event in replay if event] == list(range(LONG))
    tail = [event async for event in service.events("t1", interaction_id, after=MAX_ROWS + 2)]
    assert [event["index"] for event in tail if event] == list(range(MAX_ROWS + 3, LONG))
