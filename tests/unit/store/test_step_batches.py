"""`StepLog.append_batch`: steps and events in one transaction, numbered on from each log's last."""

from __future__ import annotations

import asyncio

import pytest

from orchestrator.store import InteractionCreate, NotFoundError, Store


async def test_a_batch_numbers_steps_and_events_from_their_counters(store: Store) -> None:
    item = await store.interactions.create(
        "t1", InteractionCreate(request={}, steps=[{"type": "user_input"}])
    )
    events = [
        {"event_type": "interaction.created", "event_id": "0"},
        {"event_type": "step.start", "event_id": "1"},
    ]
    first = await store.steps.append_batch("t1", item.id, [{"type": "model_output"}], events)
    assert (first.step, first.event) == (1, 0)
    more = await store.steps.append_batch("t1", item.id, [], [{"event_type": "step.stop", "event_id": "2"}])
    assert more.event == 2
    replay = await store.steps.events_after("t1", item.id)
    assert [(e.seq, e.payload["event_id"]) for e in replay] == [(0, "0"), (1, "1"), (2, "2")]
    assert [s.seq for s in await store.steps.list_steps("t1", item.id)] == [0, 1]


async def test_a_batch_sets_the_final_status_in_the_same_transaction(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    usage = {"total_tokens": 3}
    await store.steps.append_batch(
        "t1", item.id, [{"type": "model_output"}], [], interaction={"status": "completed", "usage": usage}
    )
    final = await store.interactions.get("t1", item.id)
    assert final is not None
    assert (final.status, final.usage, final.errors) == ("completed", usage, None)
    assert final.updated >= item.updated
    with pytest.raises(ValueError):
        await store.steps.append_batch("t1", item.id, [], [], interaction={"tenant": "t2"})


async def test_a_failed_batch_stores_nothing_and_uses_no_numbers(store: Store) -> None:
    """A live event id that the store would number differently rolls the whole batch back."""
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    with pytest.raises(ValueError, match="event_id"):
        await store.steps.append_batch(
            "t1",
            item.id,
            [{"type": "thought"}],
            [{"event_type": "step.start", "event_id": "5"}],
            interaction={"status": "completed"},
        )
    assert await store.steps.list_steps("t1", item.id) == []
    assert await store.steps.events_after("t1", item.id) == []
    unchanged = await store.interactions.get("t1", item.id)
    assert unchanged is not None and unchanged.status == "in_progress"
    first = await store.steps.append_batch(
        "t1", item.id, [{"type": "thought"}], [{"event_type": "step.start", "event_id": "0"}]
    )
    assert (first.step, first.event) == (0, 0)


async def test_concurrent_batches_never_share_a_number(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    batches = await asyncio.gather(
        *(
            store.steps.append_batch(
                "t1", item.id, [{"type": "thought", "n": n}] * 2, [{"event_type": "step.delta", "n": n}] * 3
            )
            for n in range(20)
        )
    )
    assert sorted(first.step for first in batches) == list(range(0, 40, 2)), "a batch's steps are consecutive"
    assert sorted(first.event for first in batches) == list(range(0, 60, 3)), "so are its events"
    steps = await store.steps.list_steps("t1", item.id)
    assert [s.seq for s in steps] == list(range(40))
    for first in batches:  # each batch's rows sit at its numbers
        n = steps[first.step].payload["n"]
        assert steps[first.step + 1].payload["n"] == n
        events = await store.steps.events_after("t1", item.id, first.event - 1, limit=3)
        assert [e.payload["n"] for e in events] == [n] * 3


async def test_a_batch_needs_the_tenants_interaction(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    with pytest.raises(NotFoundError):
        await store.steps.append_batch("t2", item.id, [{"type": "thought"}], [])
    with pytest.raises(NotFoundError):
        await store.steps.append_batch("t1", "int_missing", [], [{"event_type": "error"}])
    assert await store.steps.list_steps("t1", item.id) == []
