"""`Database`: one async engine, read and write sessions, and migrations.

    db = Database()                 # WARREN_DATABASE_URL, else SQLite under the user's data dir
    await db.migrate()              # Alembic upgrade to head; a no-op when already there
    async with db.write() as session: ...

SQLite runs in WAL mode with foreign keys on and a busy timeout. Write transactions on SQLite
start with `BEGIN IMMEDIATE`, so two writers queue on the busy timeout instead of failing when
one of them upgrades its read lock; read transactions stay deferred and never block writers.
Within one process, SQLite writers also queue on an asyncio lock, which is faster than polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from orchestrator.store.migrate import upgrade_to_head

__all__ = ["Database", "default_database_url", "normalise_url"]

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
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            connect_args["timeout"] = busy_timeout_s
        self.engine: AsyncEngine = create_async_engine(
            self.url, echo=echo, pool_pre_ping=self.dialect != "sqlite", connect_args=connect_args
        )
        """The async engine; prefer `read()` and `write()` over using it directly."""
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self.engine, busy_timeout_ms=int(busy_timeout_s * 1000))
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False
        )
        # SQLite has one writer at a time. Queueing this process's writers on a lock wakes each at
        # once, instead of leaving them to poll the busy timeout; other processes still use that.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None

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


def _install_sqlite_hooks(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    """WAL, foreign keys and busy timeout on every connection; SQLAlchemy emits BEGIN itself."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # the driver must not BEGIN behind our back
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
