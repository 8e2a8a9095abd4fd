"""`Store.notices`: a batch of events stored by one process wakes another's waiters for that
interaction (PostgreSQL NOTIFY), not the waiters of another one; on SQLite a wait is its timeout."""

from __future__ import annotations

import asyncio

from orchestrator.store import InteractionCreate, Store
from tests.support.postgres import PostgresServer

WAKE_BOUND_S = 30.0
"""Generous: a notice arrives in milliseconds; only a missing one would reach this."""


async def test_a_stored_batch_wakes_the_waiters_of_its_interaction_in_another_store(
    postgres: PostgresServer,
) -> None:
    url = await postgres.create_database()
    store = await Store.open(url)
    other = await Store.open(url, migrate=False)  # another replica's store on the same database
    try:
        mine = await store.interactions.create("t1", InteractionCreate(request={}))
        not_mine = await store.interactions.create("t1", InteractionCreate(request={}))
        woken = asyncio.create_task(other.notices.wait(mine.id, timeout_s=600))
        unrelated = asyncio.create_task(other.notices.wait(not_mine.id, timeout_s=600))
        await asyncio.sleep(0.5)  # the listener connects on the first wait
        await store.steps.append_batch("t1", mine.id, [], [{"event_type": "step.start", "event_id": "0"}])
        await asyncio.wait_for(woken, WAKE_BOUND_S)
        assert not unrelated.done()
        unrelated.cancel()
    finally:
        await other.close()
        await store.close()
        await postgres.drop_database(url.rsplit("/", 1)[1])


async def test_a_wait_without_a_notice_ends_at_its_timeout(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    await asyncio.wait_for(store.notices.wait(item.id, timeout_s=0.2), WAKE_BOUND_S)
