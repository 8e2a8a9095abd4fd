"""A task cancelled anywhere inside `Database.read()`/`write()` leaves the pool clean.

Server shutdown cancels running jobs wherever they are. A cancellation that cut the pool's reset of
a returned connection made SQLAlchemy log a traceback and drop the connection (a CI run caught it
in the SIGTERM chaos test); one that cut a commit left its outcome unknown.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from orchestrator.store import Database


async def test_cancellation_at_every_point_of_a_session_logs_nothing_and_returns_its_connection(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with db.write() as session:
        await session.execute(text("CREATE TABLE marks (n INTEGER NOT NULL)"))
    loop = asyncio.get_running_loop()

    async def mark(n: int, cancel_after_s: float) -> None:
        me = asyncio.current_task()
        assert me is not None
        async with db.write() if n % 2 else db.read() as session:
            if n % 2:
                await session.execute(text("INSERT INTO marks (n) VALUES (:n)"), {"n": n})
            else:
                await session.execute(text("SELECT count(*) FROM marks"))
            loop.call_later(cancel_after_s, me.cancel)  # lands in the commit, the close, or after

    finished: list[int] = []
    with caplog.at_level(logging.ERROR, logger="sqlalchemy"):
        for n in range(400):
            try:
                await asyncio.create_task(mark(n, cancel_after_s=n * 0.00001))
            except asyncio.CancelledError:
                continue
            finished.append(n)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy")] == []
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with db.read() as session:
        stored = set((await session.execute(text("SELECT n FROM marks"))).scalars())
    assert {n for n in finished if n % 2} <= stored  # a write that returned is committed
