"""The authenticating dependency at its edges (issue 21, mutation follow-up): the caller carries the
key that authenticated it, the rate limit is per key and says when to come back, and an unknown API
version is a 404 that lists the versions there are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from starlette.requests import Request

from orchestrator.api import deps, ratelimit
from orchestrator.api.deps import Caller, check_version
from orchestrator.api.errors import NotFound, RateLimited
from orchestrator.api.ratelimit import RateLimiter
from orchestrator.store import ApiKeys, Database


@pytest.fixture
async def keys(tmp_path: Path) -> AsyncIterator[ApiKeys]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}")
    await database.migrate()
    yield ApiKeys(database)
    await database.close()


def _request(key: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [(b"x-goog-api-key", key.encode())]}
    )


async def test_the_caller_carries_its_key(keys: ApiKeys) -> None:
    record, plaintext = await keys.create_key("t1", "ci")
    services = SimpleNamespace(store=SimpleNamespace(keys=keys), limiter=RateLimiter(0, 1))
    assert await deps._caller(_request(plaintext), services) == Caller(tenant="t1", key_id=record.id)  # type: ignore[arg-type]


async def test_the_rate_limit_is_per_key_and_says_when_to_retry(
    keys: ApiKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(monotonic=lambda: 100.0))  # a stopped clock
    _, first = await keys.create_key("t1", "first")
    _, second = await keys.create_key("t1", "second")
    services = SimpleNamespace(store=SimpleNamespace(keys=keys), limiter=RateLimiter(0.5, 2))
    for _ in range(2):
        await deps._caller(_request(first), services)  # type: ignore[arg-type]
    with pytest.raises(RateLimited) as limited:
        await deps._caller(_request(first), services)  # type: ignore[arg-type]
    assert limited.value.retry_after_s == 2, "one request per 2 s: the next is free in 2 s"
    assert (await deps._caller(_request(second), services)).tenant == "t1", "another key is unaffected"  # type: ignore[arg-type]


def test_an_unknown_version_lists_the_known_ones() -> None:
    assert check_version("v1beta") == "v1beta"
    with pytest.raises(NotFound) as unknown:
        check_version("v9")
    assert str(unknown.value).endswith("use one of v1, v1beta, v1alpha, v1beta1, v1alpha1, v2, v2beta")
