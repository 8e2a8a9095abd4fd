"""Tenant-scoped repositories and idempotency keys at their edges (issue 21, mutation follow-up):
a delete removes exactly one row, errors name what was missing (the 404 and 409 say it), listings
page in a total order, keys expire strictly before their cutoff, and a request hash is stable across
versions (a stored key must still match a retry after an upgrade).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.store import (
    AlreadyExistsError,
    Database,
    EnvironmentUpdate,
    IdempotencyConflictError,
    NotFoundError,
    Store,
)
from orchestrator.store import agents as agents_module
from orchestrator.store import environments as environments_module
from orchestrator.store import idempotency as idempotency_module
from orchestrator.store.environment_spec import EnvironmentSpec
from orchestrator.store.errors import IdempotencyInProgressError
from orchestrator.store.idempotency import hash_request


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}")
    await database.migrate()
    yield Store(database)
    await database.close()


async def test_delete_removes_exactly_one_row(store: Store) -> None:
    for id in ("a", "b"):
        await store.agents.create("t1", id, {})
        await store.environments.create("t1", id, EnvironmentSpec())
    await store.agents.delete("t1", "a")
    await store.environments.delete("t1", "a")
    assert [r.id for r in (await store.agents.list("t1")).items] == ["b"]
    assert [r.id for r in (await store.environments.list("t1")).items] == ["b"]


async def test_errors_name_the_kind_and_id(store: Store) -> None:
    await store.agents.create("t1", "a", {})
    await store.environments.create("t1", "e", EnvironmentSpec())
    cases: list[tuple[Any, type[Exception], str, str]] = [
        (store.agents.create("t1", "a", {}), AlreadyExistsError, "agent", "a"),
        (store.agents.update("t1", "nope", {}), NotFoundError, "agent", "nope"),
        (store.agents.delete("t1", "nope"), NotFoundError, "agent", "nope"),
        (store.environments.create("t1", "e", EnvironmentSpec()), AlreadyExistsError, "environment", "e"),
        (store.environments.update("t1", "nope", EnvironmentUpdate()), NotFoundError, "environment", "nope"),
        (store.environments.delete("t1", "nope"), NotFoundError, "environment", "nope"),
        (store.idempotency.complete("t1", "k-nope", "res"), NotFoundError, "idempotency_key", "k-nope"),
    ]
    for call, error, kind, id in cases:
        with pytest.raises(error) as raised:
            await call
        assert (raised.value.kind, raised.value.id) == (kind, id)  # type: ignore[attr-defined]
        assert str(raised.value).startswith(f"{kind} {id!r} ")


@pytest.mark.parametrize("module", [agents_module, environments_module])
async def test_listing_pages_oldest_first_then_by_id(
    store: Store, monkeypatch: pytest.MonkeyPatch, module: Any
) -> None:
    repository = store.agents if module is agents_module else store.environments
    stamps = {"c": datetime(2025, 1, 1, tzinfo=UTC), "b": datetime(2026, 1, 1, tzinfo=UTC)}
    for id in ("c", "b", "a"):
        monkeypatch.setattr(module, "utcnow", lambda id=id: stamps.get(id, datetime(2026, 1, 1, tzinfo=UTC)))
        spec = {} if module is agents_module else EnvironmentSpec()
        await repository.create("t1", id, spec)  # type: ignore[arg-type]
    first = await repository.list("t1", page_size=2)
    assert [r.id for r in first.items] == ["c", "a"] and first.next_page_token is not None
    rest = await repository.list("t1", page_size=2, page_token=first.next_page_token)
    assert [r.id for r in rest.items] == ["b"] and rest.next_page_token is None


async def test_sandboxed_environments_are_listed_oldest_first(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for id, year in (("x", 2026), ("y", 2024), ("z", 2025)):
        monkeypatch.setattr(environments_module, "utcnow", lambda year=year: datetime(year, 1, 1, tzinfo=UTC))
        await store.environments.create("t1", id, EnvironmentSpec())
        await store.environments.update("t1", id, EnvironmentUpdate(sandbox_id=f"sb-{id}"))
    assert [r.id for r in await store.environments.with_sandboxes()] == ["y", "z", "x"]


def test_request_hash_is_the_sha256_of_its_documented_canonical_form() -> None:
    canonical = b'["POST","/v1beta/x",{"a":[1,2],"b":"\\u00e9"}]'
    assert hash_request("post", "/v1beta/x", {"b": "é", "a": [1, 2]}) == hashlib.sha256(canonical).hexdigest()


async def test_purge_is_strictly_before_the_cutoff(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    cutoff = datetime(2026, 1, 2, tzinfo=UTC)
    for key, when in (
        ("old", cutoff - timedelta(microseconds=1)),
        ("edge", cutoff),
        ("new", cutoff + timedelta(1)),
    ):
        monkeypatch.setattr(idempotency_module, "utcnow", lambda when=when: when)
        await store.idempotency.reserve("t1", key, "h", "interaction")
    assert await store.idempotency.purge_older_than(cutoff) == 1
    assert await store.idempotency.lookup("t1", "old") is None
    assert await store.idempotency.lookup("t1", "edge") is not None


async def test_a_claim_released_meanwhile_is_tried_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The insert lost to a row that is gone by the time it is read: insert again, don't refuse."""
    await store.idempotency.reserve("t1", "k", "h", "interaction")
    real_lookup = store.idempotency.lookup
    calls = 0

    async def first_miss(tenant: str, key: str) -> Any:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real_lookup(tenant, key)

    monkeypatch.setattr(store.idempotency, "lookup", first_miss)
    with pytest.raises(IdempotencyInProgressError) as busy:
        await store.idempotency.reserve("t1", "k", "h", "interaction")
    assert busy.value.key == "k" and calls == 2
    with pytest.raises(IdempotencyConflictError) as conflict:
        await store.idempotency.reserve("t1", "k", "other", "interaction")
    assert conflict.value.key == "k"


async def test_release_forgets_only_its_own_unfinished_key(store: Store) -> None:
    for key in ("k1", "k2", "done"):
        await store.idempotency.reserve("t1", key, "h", "interaction")
    await store.idempotency.complete("t1", "done", "res")
    await store.idempotency.release("t1", "k1")
    await store.idempotency.release("t1", "done")
    assert await store.idempotency.lookup("t1", "k1") is None
    assert await store.idempotency.lookup("t1", "k2") is not None, "another request's claim stays"
    assert await store.idempotency.lookup("t1", "done") is not None, "a finished key is never released"


async def test_a_claim_that_keeps_vanishing_ends_in_a_conflict(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.idempotency.reserve("t1", "k", "h", "interaction")

    async def always_missing(tenant: str, key: str) -> None:
        return None

    monkeypatch.setattr(store.idempotency, "lookup", always_missing)
    with pytest.raises(IdempotencyConflictError) as conflict:
        await store.idempotency.reserve("t1", "k", "h", "interaction")
    assert conflict.value.key == "k"
