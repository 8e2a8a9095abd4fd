"""Steps and events: sequence numbers without gaps or duplicates under concurrent appends; replay."""

from __future__ import annotations

import asyncio

import pytest

from orchestrator.store import InteractionCreate, NotFoundError, Store


async def test_fifty_concurrent_step_appends_get_0_to_49(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    records = await asyncio.gather(
        *(store.steps.append_step("t1", item.id, {"type": "thought", "n": n}) for n in range(50))
    )
    assert sorted(r.seq for r in records) == list(range(50))
    stored = await store.steps.list_steps("t1", item.id)
    assert [s.seq for s in stored] == list(range(50))
    assert sorted(s.payload["n"] for s in stored) == list(range(50))
    by_n = {r.payload["n"]: r.seq for r in records}
    assert all(by_n[s.payload["n"]] == s.seq for s in stored), "each caller got the seq it was stored under"


async def test_fifty_concurrent_event_appends_get_0_to_49(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    other = await store.interactions.create("t1", InteractionCreate(request={}))
    records = await asyncio.gather(
        *(store.steps.append_event("t1", item.id, {"event_type": "step.delta", "n": n}) for n in range(50)),
        *(store.steps.append_event("t1", other.id, {"event_type": "step.delta", "n": n}) for n in range(10)),
    )
    assert sorted(r.seq for r in records if r.interaction_id == item.id) == list(range(50))
    assert sorted(r.seq for r in records if r.interaction_id == other.id) == list(range(10))


async def test_batches_are_consecutive(store: Store) -> None:
    item = await store.interactions.create(
        "t1", InteractionCreate(request={}, steps=[{"type": "user_input"}])
    )
    batch = await store.steps.append_steps(
        "t1", item.id, [{"type": "function_call", "id": "c1"}, {"type": "function_result", "call_id": "c1"}]
    )
    assert [(s.seq, s.type) for s in batch] == [(1, "function_call"), (2, "function_result")]


async def test_events_after_replays_the_tail(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    kinds = ["interaction.created", "step.start", "step.delta", "step.stop", "interaction.completed"]
    for kind in kinds:
        await store.steps.append_event("t1", item.id, {"event_type": kind, "index": 0})
    assert [e.event_type for e in await store.steps.events_after("t1", item.id)] == kinds
    tail = await store.steps.events_after("t1", item.id, 2)
    assert [(e.seq, e.event_type) for e in tail] == [(3, "step.stop"), (4, "interaction.completed")]
    assert tail[0].payload == {"event_type": "step.stop", "index": 0}
    assert await store.steps.events_after("t1", item.id, 4) == []
    assert len(await store.steps.events_after("t1", item.id, 0, limit=2)) == 2


async def test_appends_need_a_live_interaction_and_a_type(store: Store) -> None:
    with pytest.raises(NotFoundError):
        await store.steps.append_step("t1", "int_missing", {"type": "thought"})
    with pytest.raises(NotFoundError):
        await store.steps.append_event("t1", "int_missing", {"event_type": "error"})
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    with pytest.raises(ValueError):
        await store.steps.append_step("t1", item.id, {"content": []})
    with pytest.raises(ValueError):
        await store.steps.append_event("t1", item.id, {"type": "oops"})
    assert await store.steps.list_steps("t1", item.id) == []
    assert (await store.steps.append_step("t1", item.id, {"type": "thought"})).seq == 0, (
        "failed appends use no seq"
    )


async def test_reads_are_bounded_and_page_through_the_whole_log(store: Store) -> None:
    """Issue 14: no read returns more than `MAX_ROWS` rows; the pages walk the whole log in order."""
    from orchestrator.store.step_reads import MAX_ROWS

    item = await store.interactions.create("t1", InteractionCreate(request={}))
    total = MAX_ROWS + 3
    await store.steps.append_batch(
        "t1", item.id, [{"type": "thought", "n": n} for n in range(total)], [{"event_type": "e"}] * total
    )
    assert len(await store.steps.list_steps("t1", item.id)) == MAX_ROWS
    assert len(await store.steps.events_after("t1", item.id, limit=MAX_ROWS + 50)) == MAX_ROWS
    assert [s.seq for s in await store.steps.list_steps("t1", item.id, after_seq=MAX_ROWS - 2)] == [
        MAX_ROWS - 1,
        MAX_ROWS,
        MAX_ROWS + 1,
        MAX_ROWS + 2,
    ]
    assert await store.steps.list_steps("t1", item.id, limit=-1) == []
    pages = [page async for page in store.steps.step_pages("t1", item.id)]
    assert [len(page) for page in pages] == [MAX_ROWS, 3]
    assert [s.seq for page in pages for s in page] == list(range(total))
    events = [e.seq async for page in store.steps.event_pages("t1", item.id, 5) for e in page]
    assert events == list(range(6, total))
    assert [page async for page in store.steps.step_pages("t2", item.id)] == []
    assert await store.steps.next_event_seq("t1", item.id) == total
    with pytest.raises(NotFoundError):
        await store.steps.next_event_seq("t2", item.id)
