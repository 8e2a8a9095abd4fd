"""Per-environment locks across replicas (issue 20): while one replica changes an environment's
sandbox, another replica's change of the same environment waits (not of another environment), and a
holder that is cancelled or fails mid-change releases the lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.store import Store
from orchestrator.store.environment_locks import EnvironmentLocks
from tests.support.postgres import PostgresServer

WAIT_BOUND_S = 30.0
"""Generous: a lock is handed over in milliseconds; only a lock never released would reach this."""


@pytest.fixture
async def locks(postgres: PostgresServer) -> AsyncIterator[tuple[EnvironmentLocks, EnvironmentLocks]]:
    url = await postgres.create_database()
    a = await Store.open(url)
    b = await Store.open(url, migrate=False)  # another replica's store on the same database
    assert a.environment_locks is not None and b.environment_locks is not None
    try:
        yield a.environment_locks, b.environment_locks
    finally:
        await b.close()
        await a.close()
        await postgres.drop_database(url.rsplit("/", 1)[1])


async def _take(locks: EnvironmentLocks, env_id: str, order: list[str], name: str) -> None:
    async with locks.hold("t1", env_id):
        order.append(name)


async def test_a_change_on_another_replica_waits_for_the_holder(locks: tuple[EnvironmentLocks, ...]) -> None:
    a, b = locks
    order: list[str] = []
    async with a.hold("t1", "e1"):
        waiting = asyncio.create_task(_take(b, "e1", order, "b"))
        await _take(b, "e2", order, "other environment")  # not held: at once
        await asyncio.sleep(0.5)
        assert not waiting.done()
        order.append("a done")
    await asyncio.wait_for(waiting, WAIT_BOUND_S)
    assert order == ["other environment", "a done", "b"]


async def test_a_holder_cancelled_or_failing_mid_change_releases_the_lock(
    locks: tuple[EnvironmentLocks, ...],
) -> None:
    a, b = locks
    inside = asyncio.Event()

    async def stuck() -> None:
        async with a.hold("t1", "e1"):
            inside.set()
            await asyncio.sleep(3600)

    holder = asyncio.create_task(stuck())
    await asyncio.wait_for(inside.wait(), WAIT_BOUND_S)
    holder.cancel()
    await asyncio.gather(holder, return_exceptions=True)
    await asyncio.wait_for(_take(b, "e1", [], "b"), WAIT_BOUND_S)

    with pytest.raises(RuntimeError):
        async with a.hold("t1", "e1"):
            raise RuntimeError("the engine call failed")
    await asyncio.wait_for(_take(b, "e1", [], "b"), WAIT_BOUND_S)


async def test_a_wait_cancelled_leaves_no_lock_behind(locks: tuple[EnvironmentLocks, ...]) -> None:
    a, b = locks
    async with a.hold("t1", "e1"):
        waiting = asyncio.create_task(_take(b, "e1", [], "b"))
        await asyncio.sleep(0.5)  # waiting in pg_advisory_lock
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    await asyncio.wait_for(_take(a, "e1", [], "a again"), WAIT_BOUND_S)
    await asyncio.wait_for(_take(b, "e1", [], "b again"), WAIT_BOUND_S)


async def test_sqlite_has_no_shared_locks(tmp_path: Path) -> None:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as store:
        assert store.environment_locks is None  # one process: its asyncio locks are the whole story
