"""`Idempotency-Key` at its edges (issue 21, mutation follow-up): every 409 names the key it is about
(a client holding several keys must know which to renew), whichever path found the clash, and a
create cancelled by the server releases its reservation even though the cancellation keeps coming.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from orchestrator.api.errors import Conflict
from orchestrator.api.idempotency import Idempotency
from orchestrator.store import Database, Store, hash_request

ROUTE = "/{api_version}/agents"
KEY = "key-7"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}")
    await database.migrate()
    yield Store(database)
    await database.close()


def _idempotency(store: Store, in_flight: set[tuple[str, str]] | None = None) -> Idempotency:
    return Idempotency(store, "t1", KEY, ROUTE, set() if in_flight is None else in_flight)


async def _create(idempotency: Idempotency, body: dict[str, Any], made: str = "agent_1") -> str:
    async def create() -> str:
        return made

    async def replay(id: str) -> str | None:
        return id

    return await idempotency.create("agent", body, create, lambda made: made, replay)


async def _conflict(idempotency: Idempotency, body: dict[str, Any]) -> str:
    with pytest.raises(Conflict) as clash:
        await _create(idempotency, body)
    return str(clash.value)


async def test_a_key_in_flight_in_this_process(store: Store) -> None:
    message = await _conflict(_idempotency(store, {("t1", KEY)}), {"id": "a"})
    assert repr(KEY) in message and "still in progress" in message


async def test_a_key_used_with_another_body(store: Store) -> None:
    assert await _create(_idempotency(store), {"id": "a"}) == "agent_1"
    message = await _conflict(_idempotency(store), {"id": "b"})
    assert repr(KEY) in message and "different request body" in message


async def test_a_key_still_creating_elsewhere(store: Store) -> None:
    await store.idempotency.reserve("t1", KEY, hash_request("POST", ROUTE, {"id": "a"}), "agent")
    message = await _conflict(_idempotency(store), {"id": "a"})
    assert repr(KEY) in message and "still in progress" in message


async def test_a_reservation_race_lost_to_another_process(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our lookup missed; by our reserve, another process held the key (same body, or another)."""

    real_lookup = store.idempotency.lookup
    misses = 0

    async def first_misses(tenant: str, key: str) -> Any:
        nonlocal misses
        misses += 1
        return None if misses % 2 else await real_lookup(tenant, key)

    await store.idempotency.reserve("t1", KEY, hash_request("POST", ROUTE, {"id": "a"}), "agent")
    monkeypatch.setattr(store.idempotency, "lookup", first_misses)
    same = await _conflict(_idempotency(store), {"id": "a"})
    assert repr(KEY) in same and "still in progress" in same
    other = await _conflict(_idempotency(store), {"id": "b"})
    assert repr(KEY) in other and "different request body" in other
    assert misses == 4, "each request: our lookup missed, the store's own found the claim"


async def test_a_cancelled_create_releases_its_key(store: Store) -> None:
    """anyio re-delivers a cancellation at every await in its scope: the release is shielded from it."""
    started = anyio.Event()

    async def create() -> str:
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def replay(id: str) -> str | None:
        return id

    async with anyio.create_task_group() as group:
        group.start_soon(_idempotency(store).create, "agent", {"id": "a"}, create, lambda m: m, replay)
        await started.wait()
        assert await store.idempotency.lookup("t1", KEY) is not None
        group.cancel_scope.cancel()
    await asyncio.sleep(0)
    assert await store.idempotency.lookup("t1", KEY) is None, "released: a retry may run"
