"""`Database.run_write` on SQLite: concurrent writes share a transaction, and a failing one fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from orchestrator.store import InteractionCreate, NotFoundError, Store


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}")
    yield store
    await store.close()


async def test_concurrent_writes_commit_in_fewer_transactions(sqlite_store: Store) -> None:
    sync = sqlite_store.db._sync
    assert sync is not None
    groups: list[int] = []
    commit_group = sync._commit_group

    def counting(works: list[Any]) -> list[tuple[bool, Any]]:
        groups.append(len(works))
        return commit_group(works)

    sync._commit_group = counting  # type: ignore[method-assign]
    results = await asyncio.gather(*(sqlite_store.db.run_write(lambda conn, n=n: n) for n in range(50)))
    assert results == list(range(50))
    assert sum(groups) == 50
    assert len(groups) < 50  # grouped: the writes queued while one group ran share the next


async def test_a_failing_write_fails_alone_and_the_others_commit(sqlite_store: Store) -> None:
    made = await asyncio.gather(
        *(sqlite_store.interactions.create("t1", InteractionCreate(request={})) for _ in range(3))
    )
    appends = [
        sqlite_store.steps.append_batch("t1", item.id, [{"type": "model_output"}], []) for item in made
    ]
    missing = sqlite_store.steps.append_batch("t1", "int_missing", [{"type": "model_output"}], [])
    outcomes = await asyncio.gather(*appends[:2], missing, *appends[2:], return_exceptions=True)
    assert isinstance(outcomes[2], NotFoundError)
    assert all(not isinstance(o, BaseException) for i, o in enumerate(outcomes) if i != 2)
    for item in made:  # each committed exactly once, despite the group being run again
        assert [s.seq for s in await sqlite_store.steps.list_steps("t1", item.id)] == [0]


async def test_a_cancelled_write_that_has_not_started_never_runs(sqlite_store: Store) -> None:
    db = sqlite_store.db
    await db.run_write(lambda conn: conn.execute(text("CREATE TABLE marks (n INTEGER)")))
    first = asyncio.ensure_future(
        db.run_write(lambda conn: conn.execute(text("INSERT INTO marks VALUES (1)")))
    )
    await asyncio.sleep(0.01)  # the first group is running in the writer thread
    second = asyncio.ensure_future(
        db.run_write(lambda conn: conn.execute(text("INSERT INTO marks VALUES (2)")))
    )
    await asyncio.sleep(0)
    second.cancel()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    await db.run_write(lambda conn: None)  # the queue has drained
    rows = await db.run_read(lambda conn: conn.execute(text("SELECT n FROM marks")).scalars().all())
    assert rows == [1]
