"""Token accounting per tenant and key, and retention of old interactions."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import func, select, update

from orchestrator.store import Database, InteractionCreate, Store, purge_expired, run_retention
from orchestrator.store.models import EventRow, InteractionRow, StepRow, utcnow


async def test_usage_adds_up_per_tenant_and_key(store: Store) -> None:
    usage = {"total_input_tokens": 5, "total_output_tokens": 4, "total_thought_tokens": 2, "total_tokens": 11}
    await asyncio.gather(*(store.usage.record("t1", usage, api_key_id="key_a") for _ in range(20)))
    await store.usage.record("t1", {"total_tokens": 100}, api_key_id="key_b", interactions=1)
    await store.usage.record("t1", {"total_tokens": 1000}, day=date(2020, 1, 1))
    await store.usage.record("t2", usage)

    key_a = await store.usage.totals("t1", api_key_id="key_a")
    assert (key_a.input_tokens, key_a.output_tokens, key_a.thought_tokens, key_a.total_tokens) == (
        100,
        80,
        40,
        220,
    )
    tenant = await store.usage.totals("t1")
    assert (tenant.total_tokens, tenant.interactions) == (1320, 1)
    assert (await store.usage.totals("t1", since=utcnow().date())).total_tokens == 320
    assert (await store.usage.totals("t1", until=date(2020, 1, 1))).total_tokens == 1000
    assert (await store.usage.totals("nobody")).total_tokens == 0


async def _age(db: Database, interaction_id: str, days: int) -> None:
    async with db.write() as session:
        await session.execute(
            update(InteractionRow)
            .where(InteractionRow.id == interaction_id)
            .values(created=utcnow() - timedelta(days=days))
        )


async def _count(db: Database, table: type[StepRow] | type[EventRow], interaction_id: str) -> int:
    async with db.read() as session:
        stmt = select(func.count()).select_from(table).where(table.interaction_id == interaction_id)
        return int(await session.scalar(stmt) or 0)


async def test_usage_per_day_sums_every_key_of_the_tenant_oldest_first(store: Store) -> None:
    today = utcnow().date()
    await store.usage.record("t1", {"total_tokens": 7}, api_key_id="a", interactions=1, day=today)
    await store.usage.record("t1", {"total_tokens": 3}, api_key_id="b", day=today)
    await store.usage.record("t1", {"total_tokens": 5}, api_key_id="a", day=today - timedelta(days=1))
    await store.usage.record("t1", {"total_tokens": 1}, day=today - timedelta(days=9))
    await store.usage.record("t2", {"total_tokens": 50}, day=today)
    days = await store.usage.per_day("t1", today - timedelta(days=1))
    assert [(d.day, d.total_tokens, d.interactions) for d in days] == [
        (today - timedelta(days=1), 5, 0),
        (today, 10, 1),
    ]


async def test_purge_deletes_old_interactions_with_steps_and_events(store: Store, db: Database) -> None:
    old = [
        await store.interactions.create(t, InteractionCreate(request={}, steps=[{"type": "user_input"}]))
        for t in ("t1", "t2", "t1")
    ]
    new = await store.interactions.create("t1", InteractionCreate(request={}, steps=[{"type": "user_input"}]))
    recent = await store.interactions.create("t1", InteractionCreate(request={}))
    for item in [*old, new]:
        await store.steps.append_event(item.tenant, item.id, {"event_type": "interaction.created"})
    for item in old:
        await _age(db, item.id, 56)
    await _age(db, recent.id, 54)

    assert await purge_expired(db, batch_size=2) == 3
    for item in old:
        assert await store.interactions.get(item.tenant, item.id) is None
        assert await _count(db, StepRow, item.id) == 0
        assert await _count(db, EventRow, item.id) == 0
    assert await store.interactions.get("t1", new.id) is not None
    assert await store.interactions.get("t1", recent.id) is not None
    assert await _count(db, StepRow, new.id) == 1 and await _count(db, EventRow, new.id) == 1
    assert await purge_expired(db) == 0
    assert await purge_expired(db, timedelta(days=1)) == 1


async def test_retention_loop_runs_until_cancelled(store: Store, db: Database) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    await _age(db, item.id, 60)
    task = asyncio.create_task(run_retention(db, every_s=0.05))
    for _ in range(100):
        if await store.interactions.get("t1", item.id) is None:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert await store.interactions.get("t1", item.id) is None
