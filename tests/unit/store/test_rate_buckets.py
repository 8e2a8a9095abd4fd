"""The shared per-key rate buckets on a real PostgreSQL: burst, refusal, refill by the database's clock.

Time is moved by ageing a bucket's stamp in the database (what the refill reads), and the rates are
so low (one token per 100 s) that the real time a test takes adds no token: nothing here waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from orchestrator.store import Store
from tests.support.postgres import PostgresServer
from tests.unit.store.conftest import postgres

__all__ = ["postgres"]

SLOW = 0.01
"""Tokens a second: one per 100 s, so a test's own duration refills nothing."""


@pytest.fixture
async def pg_store(postgres: PostgresServer) -> AsyncIterator[Store]:
    """A migrated store on a fresh PostgreSQL database."""
    url = await postgres.create_database()
    store = await Store.open(url)
    yield store
    await store.close()
    await postgres.drop_database(url.rsplit("/", 1)[1])


async def _age(store: Store, key_id: str, seconds: float) -> None:
    """Move `key_id`'s last request `seconds` into the past, as if that much time had gone by."""
    async with store.db.write() as session:
        await session.execute(
            text("UPDATE rate_buckets SET stamp = stamp - make_interval(secs => :s) WHERE key_id = :k"),
            {"s": seconds, "k": key_id},
        )


async def _takes(store: Store, key_id: str, n: int, burst: int = 5) -> list[float]:
    return [await store.rate_buckets.take(key_id, SLOW, burst) for _ in range(n)]


async def test_the_burst_is_granted_then_refused_with_the_wait(pg_store: Store) -> None:
    waits = await _takes(pg_store, "key_a", 7)
    assert waits[:5] == [0.0] * 5, "a new key starts with a full bucket"
    assert all(99.0 < w <= 100.0 for w in waits[5:]), f"one token per 100 s: {waits}"
    assert await pg_store.rate_buckets.take("key_b", SLOW, 5) == 0.0, "buckets are per key"


async def test_the_databases_time_refills_one_token_per_interval(pg_store: Store) -> None:
    await _takes(pg_store, "key_a", 5)
    await _age(pg_store, "key_a", 100.5)
    assert await _takes(pg_store, "key_a", 2) == [0.0, pytest.approx(99.5, abs=0.5)]
    await _age(pg_store, "key_a", 250.0)
    assert (await _takes(pg_store, "key_a", 3))[:2] == [0.0, 0.0], "2.5 tokens came back: two requests"


async def test_a_refused_request_spends_nothing(pg_store: Store) -> None:
    await _takes(pg_store, "key_a", 5)
    for _ in range(20):
        assert await pg_store.rate_buckets.take("key_a", SLOW, 5) > 0.0
    await _age(pg_store, "key_a", 100.5)
    assert await pg_store.rate_buckets.take("key_a", SLOW, 5) == 0.0, "refusals did not dig a hole"


async def test_an_idle_bucket_fills_only_up_to_the_burst(pg_store: Store) -> None:
    await _takes(pg_store, "key_a", 5)
    await _age(pg_store, "key_a", 1e6)
    waits = await _takes(pg_store, "key_a", 6)
    assert waits[:5] == [0.0] * 5 and waits[5] > 0.0


async def test_concurrent_requests_of_one_key_share_its_bucket_exactly(pg_store: Store) -> None:
    """Fifty requests at once over the limiter's pool: the row lock lets exactly `burst` through."""
    waits = await asyncio.gather(*(pg_store.rate_buckets.take("key_a", SLOW, 20) for _ in range(50)))
    assert sum(1 for w in waits if w == 0.0) == 20


async def test_a_second_server_on_the_same_database_sees_the_spent_budget(
    pg_store: Store, postgres: PostgresServer
) -> None:
    other = await Store.open(pg_store.db.url, migrate=False)
    try:
        await _takes(pg_store, "key_a", 3)
        assert await _takes(other, "key_a", 3) == [0.0, 0.0, pytest.approx(100.0, abs=1.0)]
    finally:
        await other.close()


async def test_buckets_idle_past_the_cut_off_are_purged(pg_store: Store) -> None:
    await _takes(pg_store, "key_old", 1)
    await _takes(pg_store, "key_new", 1)
    await _age(pg_store, "key_old", 2 * 86400)
    assert await pg_store.rate_buckets.purge_idle(timedelta(days=1)) == 1
    async with pg_store.db.read() as session:
        left = (await session.execute(text("SELECT key_id FROM rate_buckets"))).scalars().all()
    assert left == ["key_new"]
