"""`Database`: one async engine, read and write sessions, and migrations.

    db = Database()                 # WARREN_DATABASE_URL, else SQLite under the user's data dir
    await db.migrate()              # Alembic upgrade to head; a no-op when already there
    async with db.write() as session: ...

SQLite runs in WAL mode with foreign keys on and a busy timeout. Write transactions on SQLite
start with `BEGIN IMMEDIATE`, so two writers queue on the busy timeout instead of failing when
one of them upgrades its read lock; read transactions stay deferred and never block writers.
Within one process, SQLite writers also queue on an asyncio lock, which is faster than polling.

Hot paths (the step log, key lookups) use `run_write`/`run_read` instead of sessions: they take a
plain function of a synchronous `Connection` and run it as one transaction. On SQLite they run on
the event loop through the standard `sqlite3` driver, with threads only as the fallback when the
database is busy (see `_SyncSqlite`), where an `AsyncSession` on aiosqlite hops to the driver's
thread for every cursor, statement, fetch and commit (about a dozen thread wake-ups per
transaction). On PostgreSQL both are `AsyncConnection.run_sync`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from orchestrator.store.migrate import upgrade_to_head

__all__ = ["Database", "default_database_url", "normalise_url"]

log = logging.getLogger("orchestrator.store")

T = TypeVar("T")
_SYNC_READERS = 4
"""Worker threads (and so at most this many connections) for SQLite reads that find it busy."""

_GROUP_MAX = 256
"""Most queued writes committed together in one SQLite transaction."""

_CHECKPOINT_EVERY = 200
"""Transactions committed on the event loop between two WAL checkpoints (on the writer thread)."""

_WRITE_OPTION = "warren_write"
"""Execution option that marks the write engine, so the SQLite `begin` hook takes the write lock."""


def default_database_url(environ: Mapping[str, str] | None = None) -> str:
    """`WARREN_DATABASE_URL` when set, else a SQLite file under the user's data directory.

    The data directory is `WARREN_DATA_DIR`, else `$XDG_DATA_HOME/warren`, else
    `~/.local/share/warren`; the file is `warren.db` in it.
    """
    env = os.environ if environ is None else environ
    if url := env.get("WARREN_DATABASE_URL"):
        return url
    if data_dir := env.get("WARREN_DATA_DIR"):
        base = Path(data_dir)
    else:
        xdg = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = Path(xdg) / "warren"
    return f"sqlite+aiosqlite:///{base / 'warren.db'}"


def normalise_url(url: str) -> str:
    """Pick the async driver for plain `sqlite://` and `postgresql://` URLs; leave others alone."""
    parsed = make_url(url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
    }
    if parsed.drivername in driver:
        parsed = parsed.set(drivername=driver[parsed.drivername])
    return parsed.render_as_string(hide_password=False)


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
            _install_sqlite_hooks(self.engine.sync_engine, busy_timeout_ms=int(busy_timeout_s * 1000))
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False
        )
        # SQLite has one writer at a time. Queueing this process's writers on a lock wakes each at
        # once, instead of leaving them to poll the busy timeout; other processes still use that.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._sync: _SyncSqlite | None = None
        if self.dialect == "sqlite" and on_disk:
            self._sync = _SyncSqlite(
                parsed.set(drivername="sqlite+pysqlite"), busy_timeout_s, self._write_lock
            )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session in a read transaction; it never takes SQLite's write lock."""
        async with self._reader() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction, committed on success and rolled back on error."""
        async with self._write_lock or contextlib.nullcontext(), self._writer() as session, session.begin():
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
            writer = self.engine.execution_options(**{_WRITE_OPTION: True})
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
        writer = self.engine.execution_options(**{_WRITE_OPTION: True})
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
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"


class _SyncSqlite:
    """SQLite through the standard `sqlite3` driver, on the event loop unless that would wait.

    Writes are grouped: the works queued during one turn of the event loop run in one transaction,
    so a burst of N writers costs one `BEGIN IMMEDIATE` and one commit instead of N of each. A group
    runs right on the event loop: in WAL mode with `synchronous=NORMAL` a commit only appends to the
    WAL (no fsync), which costs less than a round trip to a thread (a wake-up each way and the
    thread's cold caches: about 0.5 ms of an agent step, measured by `bench/runtime.py`). So the
    loop never waits on its connection:

    - the connection's busy timeout is 0: when another process (a `warren` CLI command) or a
      session of this process holds the write lock, the group goes to the writer thread, which
      waits for the lock as long as the busy timeout allows;
    - it never checkpoints (a checkpoint fsyncs): every `_CHECKPOINT_EVERY` commits on the loop,
      the writer thread runs a passive checkpoint, which blocks no writer.

    When one work of a group fails, the writer thread runs the group again and, if it fails there
    too, each work alone in its own transaction, so only the failing one fails. Reads run on the
    loop too (a WAL reader never waits for a writer), on a few threads when SQLite answers busy.
    """

    def __init__(self, url: Any, busy_timeout_s: float, lock: asyncio.Lock | None) -> None:
        self.engine = create_engine(
            url,
            connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
            pool_size=_SYNC_READERS + 1,
            max_overflow=0,
        )
        _install_sqlite_hooks(self.engine, busy_timeout_ms=int(busy_timeout_s * 1000))
        self._writer = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._loop_engine = create_engine(url, connect_args={"timeout": 0, "check_same_thread": False})
        _install_sqlite_hooks(self._loop_engine, busy_timeout_ms=0, autocheckpoint=False)
        self._loop_conn: Connection | None = None
        self._loop_reader: Connection | None = None
        self._lock = lock
        """The `Database`'s lock, held by this process's session writes."""
        self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="warren-sqlite-write")
        self._read_threads = ThreadPoolExecutor(_SYNC_READERS, thread_name_prefix="warren-sqlite-read")
        self._queue: list[_Queued] = []
        self._flush_scheduled = False
        self._committer: asyncio.Task[None] | None = None
        self._uncheckpointed = 0
        self._checkpointing: asyncio.Future[None] | None = None

    async def read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a read transaction on the loop; on a reader thread if SQLite answers busy.

        A WAL reader does not wait for writers, so a read on the loop costs its own work only; the
        rare busy answer (another connection is recovering or resetting the WAL) goes to a thread.
        """
        if self._loop_reader is None:
            self._loop_reader = self._loop_engine.connect()
        try:
            with self._loop_reader.begin():
                return work(self._loop_reader)
        except OperationalError as exc:
            if not _busy(exc):
                raise

        def transaction() -> T:
            with self.engine.begin() as conn:
                return work(conn)

        return await asyncio.get_running_loop().run_in_executor(self._read_threads, transaction)

    async def write(self, work: Callable[[Connection], T]) -> T:
        """Queue `work` for the next group and wait until its transaction committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        self._schedule_flush()
        return await future

    def _schedule_flush(self) -> None:
        """Flush after this turn of the loop, so the writes queued meanwhile join the group."""
        if self._committer is None and not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_on_loop)

    def _flush_on_loop(self) -> None:
        """Commit one queued group on the loop, or hand the queue to the writer thread."""
        self._flush_scheduled = False
        if self._committer is not None:
            return  # the writer thread has the queue: these writes join its next group
        batch = self._take()
        if not batch:  # all cancelled
            if self._queue:
                self._schedule_flush()
            return
        try:
            results = self._commit_on_loop([work for work, _ in batch])
        except Exception:  # a work failed: the writer thread finds which, without failing the others
            results = None
        if results is None:
            self._queue[:0] = batch
            self._committer = asyncio.get_running_loop().create_task(
                self._commit_queued(), name="warren-sqlite-commit"
            )
            return
        _resolve(batch, [(True, result) for result in results])
        if self._queue:  # more than one group's worth was queued
            self._schedule_flush()
        self._uncheckpointed += 1
        if self._uncheckpointed >= _CHECKPOINT_EVERY and self._checkpointing is None:
            self._uncheckpointed = 0
            self._checkpointing = asyncio.get_running_loop().run_in_executor(
                self._write_thread, self._checkpoint
            )
            self._checkpointing.add_done_callback(self._checkpointed)

    def _commit_on_loop(self, works: list[Callable[[Connection], Any]]) -> list[Any] | None:
        """The works' results, committed together; None when another writer holds the write lock."""
        if self._lock is not None and self._lock.locked():
            return None  # a session of this process is writing
        if self._loop_conn is None:
            self._loop_conn = self._loop_engine.connect().execution_options(**{_WRITE_OPTION: True})
        conn = self._loop_conn
        try:
            transaction = conn.begin()  # BEGIN IMMEDIATE: fails at once when busy (timeout 0)
        except OperationalError as exc:
            if _busy(exc):
                return None  # another process is writing
            raise
        with transaction:
            return [work(conn) for work in works]

    def _take(self) -> list[_Queued]:
        """The next group: up to `_GROUP_MAX` queued writes, skipping cancelled ones."""
        batch = [(work, future) for work, future in self._queue[:_GROUP_MAX] if not future.done()]
        del self._queue[:_GROUP_MAX]
        return batch

    def _checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpointing = None
        if not done.cancelled() and done.exception() is not None:
            log.warning("WAL checkpoint failed: %s", done.exception())

    async def _commit_queued(self) -> None:
        """The writer thread's turn: commit queued groups, waiting for the write lock, until none is left."""
        loop = asyncio.get_running_loop()
        batch: list[_Queued] = []
        try:
            while self._queue:
                async with self._lock or contextlib.nullcontext():
                    # Taken once the lock is ours: whatever queued while we waited joins this group.
                    batch = self._take()
                    if not batch:
                        continue
                    works = [work for work, _ in batch]
                    outcomes = await loop.run_in_executor(self._write_thread, self._commit_group, works)
                _resolve(batch, outcomes)
                batch = []
        except BaseException as exc:  # cancelled (loop shutdown) or the thread pool is gone
            for _, future in [*batch, *self._queue]:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            self._queue.clear()
            raise
        finally:
            self._committer = None

    def _commit_group(self, works: list[Callable[[Connection], Any]]) -> list[tuple[bool, Any]]:
        """Run `works` in one transaction; if any fails, run each alone. (The writer thread.)"""
        try:
            with self._writer.begin() as conn:
                results = [work(conn) for work in works]
            return [(True, result) for result in results]
        except Exception as exc:
            if len(works) == 1:
                return [(False, exc)]
        outcomes: list[tuple[bool, Any]] = []
        for work in works:
            try:
                with self._writer.begin() as conn:
                    outcomes.append((True, work(conn)))
            except Exception as exc:
                outcomes.append((False, exc))
        return outcomes

    def close(self) -> None:
        self._write_thread.shutdown()
        self._read_threads.shutdown()
        for conn in (self._loop_conn, self._loop_reader):
            if conn is not None:
                conn.close()
        self._loop_engine.dispose()
        self.engine.dispose()


_Queued = tuple[Callable[[Connection], Any], "asyncio.Future[Any]"]


def _busy(exc: OperationalError) -> bool:
    """SQLite's `SQLITE_BUSY`, or one of its extended codes (`SQLITE_BUSY_RECOVERY`, ...)."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def _resolve(batch: list[_Queued], outcomes: list[tuple[bool, Any]]) -> None:
    for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)


def _install_sqlite_hooks(engine: Engine, *, busy_timeout_ms: int, autocheckpoint: bool = True) -> None:
    """WAL, foreign keys and busy timeout on every connection; SQLAlchemy emits BEGIN itself.

    `autocheckpoint=False` leaves WAL checkpoints (and their fsyncs) to other connections.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # the driver must not BEGIN behind our back
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            if not autocheckpoint:
                cursor.execute("PRAGMA wal_autocheckpoint=0")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
