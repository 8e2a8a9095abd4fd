"""API-key authentication at its edges (issue 21): the header forms `_caller` takes, the key's exact
shape, the cache's expiry to the instant, `last_used` granularity, and revocation scoped to a tenant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from orchestrator.config import Settings
from orchestrator.store import ApiKeys, Database, NotFoundError, Store
from orchestrator.store import keys as keys_module
from tests.unit.api_app.conftest import App, start_app


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}")
    await database.migrate()
    yield database
    await database.close()


class FakeClock:
    """Stands in for the `time` module in `store.keys`."""

    def __init__(self) -> None:
        self.now = 5000.0

    def monotonic(self) -> float:
        return self.now


def _other(key: str) -> str:
    return key[:-1] + ("A" if key[-1] != "A" else "B")


@pytest.mark.parametrize(
    ("mangle", "why"),
    [
        (lambda k: k[:-1], "a secret one character short"),
        (lambda k: k + "A", "a secret one character long"),
        (lambda k: k.upper(), "an upper-case prefix"),
        (lambda k: "WK" + k[2:], "another scheme"),
        (lambda k: " " + k, "a leading space"),
        (lambda k: k + "\n", "a trailing newline"),
        (lambda k: k[:11] + "." + k[12:], "a character outside the alphabet"),
        (_other, "a wrong last character"),
    ],
)
async def test_only_the_exact_key_authenticates(db: Database, mangle: object, why: str) -> None:
    keys = ApiKeys(db, cache_s=0)
    _, plaintext = await keys.create_key("t1", "ci")
    assert await keys.authenticate(plaintext) == "t1"
    assert callable(mangle)
    assert await keys.authenticate(mangle(plaintext)) is None, why


@pytest.mark.parametrize(("after_s", "cached"), [(4.999, True), (5.0, False), (5.001, False)])
async def test_cache_expires_at_its_ttl(
    db: Database, monkeypatch: pytest.MonkeyPatch, after_s: float, cached: bool
) -> None:
    """A key revoked by another process is trusted until exactly `cache_s` after it was checked."""
    clock = FakeClock()
    monkeypatch.setattr(keys_module, "time", clock)
    keys = ApiKeys(db, cache_s=5.0)
    record, plaintext = await keys.create_key("t1", "ci")
    assert await keys.authenticate(plaintext) == "t1"
    await Store(db).keys.revoke("t1", record.id)  # another process: this cache does not hear of it
    clock.now += after_s
    assert (await keys.authenticate(plaintext) == "t1") is cached


async def test_a_wrong_secret_is_never_cached(db: Database) -> None:
    keys = ApiKeys(db, cache_s=60)
    _, plaintext = await keys.create_key("t1", "ci")
    for _ in range(2):
        assert await keys.authenticate(_other(plaintext)) is None


@pytest.mark.parametrize(("age", "touched"), [(59, False), (60, True), (61, True)])
async def test_last_used_is_written_once_a_minute(
    db: Database, monkeypatch: pytest.MonkeyPatch, age: int, touched: bool
) -> None:
    keys = ApiKeys(db, cache_s=0)
    _, plaintext = await keys.create_key("t1", "ci")
    first = await keys.identify(plaintext)
    assert first is not None and first.last_used is not None
    later = first.last_used + timedelta(seconds=age)
    monkeypatch.setattr(keys_module, "utcnow", lambda: later)
    second = await keys.identify(plaintext)
    assert second is not None
    assert second.last_used == (later if touched else first.last_used)
    listed = await keys.list_keys("t1")
    assert listed[0].last_used == second.last_used, "what it answers is what is stored"


async def test_revoke_is_scoped_to_the_tenant(db: Database) -> None:
    keys = ApiKeys(db, cache_s=60)
    record, plaintext = await keys.create_key("t1", "ci")
    with pytest.raises(NotFoundError):
        await keys.revoke("t2", record.id)
    assert await keys.authenticate(plaintext) == "t1", "another tenant cannot revoke it"
    with pytest.raises(NotFoundError):
        await keys.revoke("t1", "key_" + "0" * 32)
    assert [k.id for k in await keys.list_keys("t2")] == []


# ---- the route dependency ----------------------------------------------------------------------


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[App]:
    async for app in start_app(Settings(data_dir=tmp_path / "data", sandboxes=False)):
        yield app


async def _status(app: App, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app.app), base_url="http://t") as client:
        return (await client.get("/v1beta/agents", headers=headers)).status_code


async def test_header_forms(api: App) -> None:
    key = api.a.headers["x-goog-api-key"]
    accepted = [
        {"x-goog-api-key": key},
        {"authorization": f"Bearer {key}"},
        {"authorization": f"bearer {key}"},
        {"authorization": f"BEARER  {key} "},
        {"x-goog-api-key": "", "authorization": f"Bearer {key}"},
    ]
    for headers in accepted:
        assert await _status(api, headers) == 200, headers
    refused = [
        {},
        {"x-goog-api-key": ""},
        {"authorization": key},
        {"authorization": f"Basic {key}"},
        {"authorization": f"Bearer{key}"},
        {"authorization": "Bearer "},
        {"x-goog-api-key": _other(key)},
        {"x-goog-api-key": _other(key), "authorization": f"Bearer {key}"},
    ]
    for headers in refused:
        assert await _status(api, headers) == 401, headers


async def test_a_revoked_key_is_refused_at_once(api: App) -> None:
    key = api.a.headers["x-goog-api-key"]
    record = await api.services.store.keys.identify(key)
    assert record is not None
    await api.services.store.keys.revoke(record.tenant, record.id)
    assert await _status(api, {"x-goog-api-key": key}) == 401


async def test_the_tenant_comes_from_the_key(api: App) -> None:
    made = await api.a.post("/v1beta/agents", json={"id": "mine", "base_agent": "default"})
    assert made.status_code == 200, made.text
    assert (await api.a.get("/v1beta/agents/mine")).status_code == 200
    assert (await api.b.get("/v1beta/agents/mine")).status_code == 404
