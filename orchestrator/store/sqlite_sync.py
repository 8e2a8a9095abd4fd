"""SQLite on the event loop through the standard `sqlite3` driver, with group commit.

The hot paths (the step log, key lookups) run a plain function of a synchronous `Connection` as one
transaction (`Database.run_write` / `run_read`). Here that function runs right on the event loop,
with threads only as the fallback when the database is busy, where an `AsyncSession` on aiosqlite
hops to the driver's thread for every cursor, statement, fetch and commit (about a dozen thread
wake-ups per transaction). The measured reasons are in `SyncSqlite`'s docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from orchestrator.store.sqlite_hooks import WRITE_OPTION, install_sqlite_hooks, is_busy

__all__ = ["SyncSqlite"]

log = logging.getLogger("orchestrator.store")

T = TypeVar("T")
_SYNC_READERS = 4
"""Worker threads (and so at most this many connections) for SQLite reads that find it busy."""

_GROUP_MAX = 256
"""Most queued writes committed together in one SQLite transaction."""

_CHECKPOINT_EVERY = 200
"""Transactions committed on the event loop between two WAL checkpoints (on the writer thread)."""


class SyncSqlite:
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
        install_sqlite_hooks(self.engine, busy_timeout_ms=int(busy_timeout_s * 1000))
        self._writer = self.engine.execution_options(**{WRITE_OPTION: True})
        self._loop_engine = create_engine(url, connect_args={"timeout": 0, "check_same_thread": False})
        install_sqlite_hooks(self._loop_engine, busy_timeout_ms=0, autocheckpoint=False)
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
            if not is_busy(exc):
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
            self._loop_conn = self._loop_engine.connect().execution_options(**{WRITE_OPTION: True})
        conn = self._loop_conn
        try:
            transaction = conn.begin()  # BEGIN IMMEDIATE: fails at once when busy (timeout 0)
        except OperationalError as exc:
            if is_busy(exc):
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


def _resolve(batch: list[_Queued], outcomes: list[tuple[bool, Any]]) -> None:
    for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)
