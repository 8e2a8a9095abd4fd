"""A tenant's sandbox cap holds across replicas (issue 20): two processes' `SandboxCap`s on one
PostgreSQL database cannot both give away the tenant's last place, whether one start is under way
when the other asks or both ask at the same moment; a start a dead replica left stops counting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from orchestrator.environments.sandbox_cap import SandboxCap
from orchestrator.errors import QuotaExceeded
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from orchestrator.store.models import utcnow
from orchestrator.store.replica_rows import SandboxStartRow
from orchestrator.store.sandbox_starts import STALE
from tests.support.postgres import PostgresServer

TENANT = "t-cap"


@pytest.fixture
async def stores(postgres: PostgresServer) -> AsyncIterator[tuple[Store, Store]]:
    url = await postgres.create_database()
    a = await Store.open(url)
    b = await Store.open(url, migrate=False)  # another replica's store on the same database
    for env_id in ("e1", "e2"):
        await a.environments.create(TENANT, env_id, EnvironmentSpec())
    try:
        yield a, b
    finally:
        await b.close()
        await a.close()
        await postgres.drop_database(url.rsplit("/", 1)[1])


async def _hold(cap: SandboxCap, env_id: str, inside: asyncio.Event, release: asyncio.Event) -> None:
    async with cap.slot(TENANT, env_id):
        inside.set()
        await release.wait()


async def test_a_start_under_way_on_one_replica_takes_the_last_place_on_the_other(
    stores: tuple[Store, Store],
) -> None:
    a, b = SandboxCap(stores[0], 1), SandboxCap(stores[1], 1)
    inside, release = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(_hold(a, "e1", inside, release))
    await asyncio.wait_for(inside.wait(), 30)
    with pytest.raises(QuotaExceeded):
        async with b.slot(TENANT, "e2"):
            pass
    release.set()
    await first
    async with b.slot(TENANT, "e2"):  # the first start ended (its environment never became active)
        pass


async def test_two_replicas_asking_at_once_give_the_last_place_once(stores: tuple[Store, Store]) -> None:
    caps = SandboxCap(stores[0], 1), SandboxCap(stores[1], 1)
    for _ in range(5):
        inside, release = asyncio.Event(), asyncio.Event()
        tasks = [
            asyncio.create_task(_hold(cap, env, inside, release))
            for cap, env in zip(caps, ("e1", "e2"), strict=True)
        ]
        await asyncio.wait_for(inside.wait(), 30)
        await asyncio.sleep(0.2)  # the other one has asked by now
        release.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "QuotaExceeded"], outcomes


async def test_a_start_a_dead_replica_left_stops_counting(stores: tuple[Store, Store]) -> None:
    a, b = SandboxCap(stores[0], 1), SandboxCap(stores[1], 1)
    assert a.shared is not None
    left = await a.shared.begin(TENANT, "e1", lambda _: asyncio.sleep(0))  # never ended: its replica died
    with pytest.raises(QuotaExceeded):
        async with b.slot(TENANT, "e2"):
            pass
    async with stores[0].db.write() as session:
        old = utcnow() - STALE - timedelta(seconds=5)
        await session.execute(
            update(SandboxStartRow).where(SandboxStartRow.id == left).values(started_at=old)
        )
    async with b.slot(TENANT, "e2"):
        pass
