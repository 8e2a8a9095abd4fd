"""Idempotency keys: the same key and body give the same resource; a different body is a conflict."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from orchestrator.store import (
    IdempotencyConflictError,
    IdempotencyInProgressError,
    NotFoundError,
    Store,
    hash_request,
)
from orchestrator.store.models import utcnow


def test_request_hash_ignores_key_order() -> None:
    assert hash_request("post", "/v1/agents", {"a": 1, "b": [1, 2]}) == hash_request(
        "POST", "/v1/agents", {"b": [1, 2], "a": 1}
    )
    assert hash_request("POST", "/v1/agents", {"a": 1}) != hash_request("POST", "/v1/agents", {"a": 2})
    assert hash_request("POST", "/v1/agents", {"a": 1}) != hash_request("POST", "/v1/environments", {"a": 1})


async def test_remember_and_lookup(store: Store) -> None:
    assert await store.idempotency.lookup("t1", "key-1") is None
    first = await store.idempotency.remember("t1", "key-1", "h1", "interaction", "int_1")
    again = await store.idempotency.remember("t1", "key-1", "h1", "interaction", "int_2")
    assert again.resource_id == "int_1" == first.resource_id, "a retry gets the first resource"
    assert (await store.idempotency.lookup("t1", "key-1")) == first
    with pytest.raises(IdempotencyConflictError):
        await store.idempotency.remember("t1", "key-1", "h2", "interaction", "int_3")
    with pytest.raises(IdempotencyConflictError):
        await store.idempotency.remember("t1", "key-1", "h1", "agent", "a1")


async def test_reserve_complete_release(store: Store) -> None:
    claim = await store.idempotency.reserve("t1", "k", "h", "agent")
    assert claim.in_progress
    with pytest.raises(IdempotencyInProgressError):  # a second request sees the first still running: 409
        await store.idempotency.reserve("t1", "k", "h", "agent")
    done = await store.idempotency.complete("t1", "k", "agent-1")
    assert not done.in_progress and done.resource_id == "agent-1"
    assert (await store.idempotency.reserve("t1", "k", "h", "agent")).resource_id == "agent-1"

    await store.idempotency.reserve("t1", "failed", "h", "agent")
    await store.idempotency.release("t1", "failed")
    assert await store.idempotency.lookup("t1", "failed") is None
    await store.idempotency.release("t1", "k")
    assert await store.idempotency.lookup("t1", "k") is not None, "release never forgets a finished create"
    with pytest.raises(NotFoundError):
        await store.idempotency.complete("t1", "never-reserved", "x")


async def test_concurrent_reservations_have_one_winner(store: Store) -> None:
    claims = await asyncio.gather(
        *(store.idempotency.reserve("t1", "k", "h", "agent") for _ in range(10)), return_exceptions=True
    )
    winners = [c for c in claims if not isinstance(c, BaseException)]
    assert len(winners) == 1, "exactly one caller wins the claim and may create"
    assert all(isinstance(c, IdempotencyInProgressError) for c in claims if isinstance(c, BaseException))


async def test_purge_forgets_old_keys(store: Store) -> None:
    await store.idempotency.remember("t1", "k", "h", "agent", "a")
    assert await store.idempotency.purge_older_than(utcnow() - timedelta(hours=1)) == 0
    assert await store.idempotency.purge_older_than(utcnow() + timedelta(seconds=1)) == 1
    assert await store.idempotency.lookup("t1", "k") is None
