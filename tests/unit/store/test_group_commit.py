"""`Database.run_write` on SQLite: grouped commits on the loop, the writer thread when the lock is taken.

Concurrent writes share a transaction, a failing one fails alone, a write never waits on the event
loop for another process's lock, and the WAL is still checkpointed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from orchestrator.store import InteractionCreate, NotFoundError, Store
from orchestrator.store import sqlite_sync as store_db


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}")
    yield store
    await store.close()


async def test_concurrent_writes_commit_in_fewer_transactions(sqlite_store: Store) -> None:
    sync = sqlite_store.db._sync
    assert sync is not None
    groups: list[int] = []
    on_loop = sync._commit_on_loop

    def counting(works: list[Any]) -> list[Any] | None:
        groups.append(len(works))
        return on_loop(works)

    sync._commit_on_loop = counting  # type: ignore[method-assign]
    results = await asyncio.gather(*(sqlite_store.db.run_write(lambda conn, n=n: n) for n in range(50)))
    assert results == list(range(50))
    assert groups == [50]  # queued in one turn of the loop: one transaction


async def test_a_write_waits_off_the_loop_while_another_process_holds_the_lock(sqlite_store: Store) -> None:
    db = sqlite_store.db
    await db.run_write(lambda conn: conn.execute(text("CREATE TABLE marks (n INTEGER)")))
    other = sqlite3.connect(db.url.split("///", 1)[1], isolation_level=None)  # another process's writer
    other.execute("BEGIN IMMEDIATE")
    threads: list[str] = []

    def insert(conn: Any) -> None:
        threads.append(threading.current_thread().name)
        conn.execute(text("INSERT INTO marks VALUES (1)"))

    writing = asyncio.ensure_future(db.run_write(insert))
    ticks = 0
    for _ in range(10):  # the loop keeps running while the write waits for the lock
        await asyncio.sleep(0.01)
        ticks += 1
    assert not writing.done()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writing, 10)
    assert ticks == 10
    assert threads[-1].startswith("warren-sqlite-write")
    await db.run_write(insert)  # the lock is free again: back on the loop
    assert threads[-1] == threading.current_thread().name
    rows = await db.run_read(lambda conn: conn.execute(text("SELECT n FROM marks")).scalars().all())
    assert rows == [1, 1]


async def test_commits_on_the_loop_are_checkpointed_by_the_writer_thread(sqlite_store: Store) -> None:
    db = sqlite_store.db
    path = Path(db.url.split("///", 1)[1])
    await db.run_write(lambda conn: conn.execute(text("CREATE TABLE blobs (b TEXT)")))
    await asyncio.sleep(0.2)  # the thread's own commit may checkpoint; start from a settled file
    size = path.stat().st_size
    insert = text("INSERT INTO blobs VALUES (:b)")
    for _ in range(store_db._CHECKPOINT_EVERY + 1):  # without a checkpoint, rows stay in the WAL
        await db.run_write(lambda conn: conn.execute(insert, {"b": "x" * 2000}))
    for _ in range(100):
        if path.stat().st_size > size + 100 * 2000:
            break
        await asyncio.sleep(0.02)
    assert path.stat().st_size > size + 100 * 2000  # the pages were copied into the database file


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
    await asyncio.sleep(0.01)  # the first group has committed
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


async def test_a_read_neither_waits_for_a_writer_nor_sees_its_uncommitted_rows(sqlite_store: Store) -> None:
    db = sqlite_store.db
    await db.run_write(lambda conn: conn.execute(text("CREATE TABLE marks (n INTEGER)")))
    await db.run_write(lambda conn: conn.execute(text("INSERT INTO marks VALUES (1)")))
    other = sqlite3.connect(db.url.split("///", 1)[1], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO marks VALUES (2)")
    try:
        rows = await asyncio.wait_for(
            db.run_read(lambda conn: conn.execute(text("SELECT n FROM marks")).scalars().all()), 1
        )
        assert rows == [1]
    finally:
        other.execute("COMMIT")
        other.close()
    rows = await db.run_read(lambda conn: conn.execute(text("SELECT n FROM marks")).scalars().all())
    assert rows == [1, 2]
