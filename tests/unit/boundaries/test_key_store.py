"""API-key storage at its edges (issue 21, mutation follow-up): a lookup that overlaps a revocation is
never cached, concurrent checks of one key share one read, listing order is total, a prefix
collision draws another prefix, and ids and errors have their documented shape.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrator.store import ApiKeys, Database, NotFoundError
from orchestrator.store import keys as keys_module


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}")
    await database.migrate()
    yield database
    await database.close()


async def test_a_lookup_overlapping_any_revocation_is_not_cached(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second revocation of the process counts as much as the first."""
    keys = ApiKeys(db, cache_s=60)
    first, _ = await keys.create_key("t1", "first")
    record, plaintext = await keys.create_key("t1", "raced")
    await keys.revoke("t1", first.id)

    read_done, release = asyncio.Event(), asyncio.Event()
    real_read = db.run_read

    async def slow_read(work: Callable[[Any], Any]) -> Any:
        result = await real_read(work)
        read_done.set()
        await release.wait()
        return result

    monkeypatch.setattr(db, "run_read", slow_read)
    racing = asyncio.ensure_future(keys.identify(plaintext))
    await read_done.wait()  # the row was read while the key was live
    monkeypatch.setattr(db, "run_read", real_read)
    await keys.revoke("t1", record.id)
    release.set()
    assert await racing is not None, "the read predates the revocation"
    assert await keys.identify(plaintext) is None, "but it was not cached"


async def test_concurrent_checks_of_one_key_share_one_read(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = ApiKeys(db, cache_s=0)
    _, plaintext = await keys.create_key("t1", "ci")
    _, other = await keys.create_key("t1", "other")
    reads = 0
    real_read = db.run_read

    async def counted(work: Callable[[Any], Any]) -> Any:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return await real_read(work)

    monkeypatch.setattr(db, "run_read", counted)
    found = await asyncio.gather(*(keys.identify(plaintext) for _ in range(5)), keys.identify(other))
    assert reads == 2, "one read per distinct key"
    assert {r.name for r in found if r is not None} == {"ci", "other"}
    assert await keys.identify(plaintext) is not None and reads == 3, "a finished lookup is not reused"


async def test_listing_is_oldest_first_then_by_id(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = iter(["key_a", "key_c", "key_b"])  # ids in neither created nor insertion order
    monkeypatch.setattr(keys_module, "new_id", lambda prefix: next(ids))
    times = iter([datetime(2026, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)] * 2)
    monkeypatch.setattr(keys_module, "utcnow", lambda: next(times))
    keys = ApiKeys(db)
    for name in ("newer", "older"):
        await keys.create_key("t1", name)
    monkeypatch.setattr(keys_module, "utcnow", lambda: datetime(2025, 1, 1, tzinfo=UTC))
    await keys.create_key("t1", "tie")
    assert [(k.name, k.id) for k in await keys.list_keys("t1")] == [
        ("tie", "key_b"),
        ("older", "key_c"),
        ("newer", "key_a"),
    ]


async def test_a_prefix_collision_draws_another(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = ApiKeys(db)
    prefixes = iter(["0badcafe", "0badcafe", "12345678"])
    real = secrets.token_hex
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(prefixes) if n == 4 else real(n))
    first, _ = await keys.create_key("t1", "a")
    second, plaintext = await keys.create_key("t1", "b")
    assert (first.prefix, second.prefix) == ("0badcafe", "12345678")
    assert plaintext.startswith("wk_12345678_")


async def test_ids_and_not_found_errors(db: Database) -> None:
    keys = ApiKeys(db)
    record, _ = await keys.create_key("t1", "ci")
    assert re.fullmatch(r"key_[0-9a-f]{32}", record.id), record.id
    with pytest.raises(NotFoundError) as missing:
        await keys.revoke("t2", record.id)
    assert (missing.value.kind, missing.value.id) == ("api_key", record.id)


async def test_five_prefix_collisions_in_a_row_give_up(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = ApiKeys(db)
    real = secrets.token_hex
    monkeypatch.setattr(secrets, "token_hex", lambda n: "0badcafe" if n == 4 else real(n))
    await keys.create_key("t1", "first")
    prefixes = iter(["0badcafe"] * 5 + ["12345678"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(prefixes) if n == 4 else real(n))
    with pytest.raises(RuntimeError, match="could not draw an unused key prefix"):
        await keys.create_key("t1", "second")
