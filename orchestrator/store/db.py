"""`Database`: one async engine, read and write sessions, and migrations.

    db = Database()                 # WARREN_DATABASE_URL, else SQLite under the user's data dir
    await db.migrate()              # Alembic upgrade to head; a no-op when already there
    async with db.write() as session: ...

SQLite runs in WAL mode with foreign keys on and a busy timeout. Write transactions on SQLite
start with `BEGIN IMMEDIATE`, so two writers queue on the busy timeout instead of failing when
one of them upgrades its read lock; read transactions stay deferred and never block writers.
Within one process, SQLite writers also queue on an asyncio lock, which is faster than polling.

Hot paths (the step log, key lookups) use `run_write`/`run_read` instead of sessions: they take a
plain function of a synchronous `Connection` and run it as one transaction. On an SQLite file they
run on the event loop through the standard `sqlite3` driver (`sqlite_sync.SyncSqlite`); on
PostgreSQL both are `AsyncConnection.run_sync`. The URL rules are in `urls.py`, the SQLite
connection settings in `sqlite_hooks.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from orchestrator.store.migrate import upgrade_to_head
from orchestrator.store.sqlite_hooks import WRITE_OPTION, install_sqlite_hooks
from orchestrator.store.sqlite_sync import SyncSqlite
from orchestrator.store.urls import default_database_url, normalise_url, without_password

__all__ = ["Database"]

T = TypeVar("T")


class Database:
    """The store's connection to SQLite or PostgreSQL: sessions, migrations and shutdown.

    Args:
        url: an SQLAlchemy URL; `None` means `default_database_url()`.
        busy_timeout_s: how long a SQLite writer waits for the write lock, in **seconds**.
        echo: log every statement (debugging only).
    """

    def __init__(self, url: str | None = None, *, busy_timeout_s: float = 30.0, echo: bool = False) -> None:
        self.url = normalise_url(url or default_database_url())
        """The URL in use, with its async driver."""
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        """`sqlite` or `postgresql`: repositories pick dialect-specific upserts by it."""
        connect_args: dict[str, Any] = {}
        on_disk = bool(parsed.database) and parsed.database != ":memory:"
        if self.dialect == "sqlite":
            if on_disk and not str(parsed.database).startswith("file:"):
                Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
            connect_args["timeout"] = busy_timeout_s
        self.engine: AsyncEngine = create_async_engine(
            self.url, echo=echo, pool_pre_ping=self.dialect != "sqlite", connect_args=connect_args
        )
        """The async engine; prefer `read()` and `write()` over using it directly."""
        if self.dialect == "sqlite":
            install_sqlite_hooks(self.engine.sync_engine, busy_timeout_ms=int(busy_timeout_s * 1000))
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        # SQLite has one writer at a time. Queueing this process's writers on a lock wakes each at
        # once, instead of leaving them to poll the busy timeout; other processes still use that.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._sync: SyncSqlite | None = None
        if self.dialect == "sqlite" and on_disk:
            self._sync = SyncSqlite(
                parsed.set(drivername="sqlite+pysqlite"), busy_timeout_s, self._write_lock
            )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session in a read transaction; it never takes SQLite's write lock."""
        async with _transaction(self._reader()) as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction, committed on success and rolled back on error."""
        session = self._writer()
        async with self._write_lock or contextlib.nullcontext(), _transaction(session, begin=True):
            yield session

    async def run_write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction and return its result; an exception rolls it back.

        `work` gets a synchronous `Connection` and must only run statements on it: on SQLite it
        runs in the writer thread, so it must not touch the event loop or block on anything else.
        On SQLite it shares its transaction with the other writes queued meanwhile (group commit);
        if one of them fails, each is run again alone, so `work` may run twice and must not have
        effects outside the database. It returns only once its transaction is committed.
        """
        if self._sync is None:
            writer = self.engine.execution_options(**{WRITE_OPTION: True})
            async with self._write_lock or contextlib.nullcontext(), writer.begin() as conn:
                return await conn.run_sync(work)
        return await self._sync.write(work)

    async def run_read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one read transaction (never SQLite's write lock) and return its result."""
        if self._sync is None:
            async with self.engine.connect() as conn, conn.begin():
                return await conn.run_sync(work)
        return await self._sync.read(work)

    async def migrate(self) -> None:
        """Upgrade the schema to the newest migration; running it again changes nothing."""
        writer = self.engine.execution_options(**{WRITE_OPTION: True})
        async with self._write_lock or contextlib.nullcontext(), writer.begin() as conn:
            if self.dialect == "postgresql":
                # Two servers starting at once on one database take turns instead of racing.
                await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7261984530)")
            await conn.run_sync(upgrade_to_head)

    async def close(self) -> None:
        """Close every pooled connection; the object must not be used afterwards."""
        if self._sync is not None:
            await asyncio.to_thread(self._sync.close)
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        """Use as `async with Database(url) as db:` to close it on the way out."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the engine."""
        await self.close()

    def __repr__(self) -> str:
        """The URL without its password."""
        return f"Database({without_password(self.url)!r})"


@asynccontextmanager
async def _transaction(session: AsyncSession, begin: bool = False) -> AsyncIterator[AsyncSession]:
    """Yield `session` in a transaction, committed if the block succeeds; then close it.

    `begin`: start the transaction before the block, to its end even if the task is cancelled
    meanwhile. A writer's `BEGIN IMMEDIATE` (a hook SQLAlchemy runs at the first statement) takes
    SQLite's write lock; a task cancelled while it ran (the webhook deliverer, at shutdown) could
    leave the connection holding that lock, unseen by the session, until the garbage collector
    found it, and the next writer of the process waited its whole busy timeout and failed (half
    the runs of a webhook test on a loaded machine; none in 18 with the BEGIN run to its end).

    The commit and the close run to their end even if the task is cancelled meanwhile (the
    cancellation is raised after them). Cut short, a commit's outcome is unknown, and a cut
    rollback of the connection going back to the pool makes SQLAlchemy log a traceback and drop
    the connection; server shutdown cancels running jobs, so both happened at random there.
    """
    try:  # without `begin`, the session begins its transaction at its first statement
        if begin:
            await _to_the_end(_begin(session))
        yield session
    except BaseException:
        await _to_the_end(session.close())  # closing rolls back what the block started
        raise
    await _to_the_end(_commit_and_close(session))


async def _begin(session: AsyncSession) -> None:
    await session.connection()


async def _commit_and_close(session: AsyncSession) -> None:
    try:
        await session.commit()
    finally:
        await session.close()


async def _to_the_end(work: Coroutine[Any, Any, None]) -> None:
    """Await `work` to its end even if this task is cancelled meanwhile, then re-raise that."""
    running = asyncio.ensure_future(work)
    cancelled = False
    while not running.done():
        try:
            await asyncio.shield(running)
        except asyncio.CancelledError:
            cancelled = True
    running.result()
    if cancelled:
        raise asyncio.CancelledError
