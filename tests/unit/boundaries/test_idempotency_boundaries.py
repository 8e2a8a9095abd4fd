"""Idempotency keys across tenants (issue 21): the same key from two tenants never collides, neither
while the first request is in flight nor once it is stored.

The mutation pass found the in-flight guard keyed without the tenant (tenant B got 409 while tenant
A's request with the same key ran) and no test noticed. Here `Idempotency.create` runs on a real
SQLite store with the one in-flight set a server process shares between its requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from orchestrator.api.errors import Conflict
from orchestrator.api.idempotency import Idempotency
from orchestrator.store import IdempotencyConflictError, IdempotencyInProgressError, Store, hash_request

KEY = "same-key"
ROUTE = "/{api_version}/agents"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}") as opened:
        yield opened


class Maker:
    """Makes numbered resources; `gate` (when set) holds a create in flight until the test opens it."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    def create(self, tenant: str) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            self.entered.set()
            if self.gate is not None:
                await self.gate.wait()
            self.made.append(f"{tenant}-{len(self.made)}")
            return self.made[-1]

        return run

    async def replay(self, resource_id: str) -> str | None:
        return resource_id if resource_id in self.made else None


async def _create(
    store: Store, in_flight: set[tuple[str, str]], tenant: str, maker: Maker, body: dict[str, str]
) -> str:
    idempotency = Idempotency(store, tenant, KEY, ROUTE, in_flight)
    return await idempotency.create("agent", body, maker.create(tenant), str, maker.replay)


async def test_same_key_in_flight_for_another_tenant_does_not_collide(store: Store) -> None:
    in_flight: set[tuple[str, str]] = set()
    maker = Maker()
    maker.gate = asyncio.Event()
    first = asyncio.create_task(_create(store, in_flight, "tenant-a", maker, {"id": "x"}))
    await asyncio.wait_for(maker.entered.wait(), 10)
    with pytest.raises(Conflict, match="still in progress"):  # the control: the same tenant waits
        await _create(store, in_flight, "tenant-a", Maker(), {"id": "x"})
    other = Maker()
    made_b = await asyncio.wait_for(_create(store, in_flight, "tenant-b", other, {"id": "x"}), 10)
    assert made_b == "tenant-b-0" and other.made == ["tenant-b-0"]
    maker.gate.set()
    assert await asyncio.wait_for(first, 10) == "tenant-a-0"
    assert in_flight == set(), "every slot is freed"


async def test_same_key_stored_for_another_tenant_does_not_collide(store: Store) -> None:
    in_flight: set[tuple[str, str]] = set()
    a, b = Maker(), Maker()
    assert await _create(store, in_flight, "tenant-a", a, {"id": "x"}) == "tenant-a-0"
    assert await _create(store, in_flight, "tenant-b", b, {"id": "other body"}) == "tenant-b-0"
    assert await _create(store, in_flight, "tenant-b", b, {"id": "other body"}) == "tenant-b-0", "a replay"
    assert await _create(store, in_flight, "tenant-a", a, {"id": "x"}) == "tenant-a-0", "a replay"
    with pytest.raises(Conflict, match="different request body"):
        await _create(store, in_flight, "tenant-a", a, {"id": "y"})
    assert (a.made, b.made) == (["tenant-a-0"], ["tenant-b-0"])
    record_a = await store.idempotency.lookup("tenant-a", KEY)
    record_b = await store.idempotency.lookup("tenant-b", KEY)
    assert record_a is not None and record_b is not None
    assert (record_a.resource_id, record_b.resource_id) == ("tenant-a-0", "tenant-b-0")


async def test_same_key_and_body_from_another_tenant_never_replays_its_resource(store: Store) -> None:
    in_flight: set[tuple[str, str]] = set()
    a, b = Maker(), Maker()
    made_a = await _create(store, in_flight, "tenant-a", a, {"id": "x"})
    made_b = await _create(store, in_flight, "tenant-b", b, {"id": "x"})
    assert made_a != made_b and b.made == [made_b]


async def test_store_reservations_are_per_tenant(store: Store) -> None:
    keys = store.idempotency
    digest = hash_request("POST", ROUTE, {"id": "x"})
    first = await keys.reserve("tenant-a", KEY, digest, "agent")
    assert first.in_progress and first.tenant == "tenant-a"
    with pytest.raises(IdempotencyInProgressError):
        await keys.reserve("tenant-a", KEY, digest, "agent")
    second = await keys.reserve("tenant-b", KEY, hash_request("POST", ROUTE, {"id": "y"}), "environment")
    assert second.in_progress and second.tenant == "tenant-b", "another tenant's claim is its own"
    await keys.release("tenant-b", KEY)
    held = await keys.lookup("tenant-a", KEY)
    assert held is not None and held.in_progress, "B's release leaves A's claim"
    await keys.complete("tenant-a", KEY, "agent-a")
    done = await keys.lookup("tenant-a", KEY)
    assert done is not None and done.resource_id == "agent-a"
    assert await keys.lookup("tenant-b", KEY) is None
    with pytest.raises(IdempotencyConflictError):
        await keys.reserve("tenant-a", KEY, hash_request("POST", ROUTE, {"id": "z"}), "agent")
    again = await keys.reserve("tenant-b", KEY, digest, "agent")
    assert again.in_progress and again.tenant == "tenant-b"


async def test_remember_is_per_tenant(store: Store) -> None:
    keys = store.idempotency
    digest = hash_request("POST", ROUTE, {"id": "x"})
    await keys.remember("tenant-a", KEY, digest, "agent", "agent-a")
    other = await keys.remember("tenant-b", KEY, digest, "agent", "agent-b")
    assert (other.tenant, other.resource_id) == ("tenant-b", "agent-b")
    first = await keys.remember("tenant-a", KEY, digest, "agent", "agent-c")
    assert first.resource_id == "agent-a", "the first record answers a repeat"
