"""SQLite connection settings: WAL, foreign keys, busy timeout, and `BEGIN IMMEDIATE` for writers.

Every SQLite engine of the store (the async one and the two `sqlite3` ones of `SyncSqlite`) gets
these hooks, so all connections agree on the journal mode and on how a write transaction starts:
a writer takes the write lock at `BEGIN`, so two writers queue on the busy timeout instead of one
failing when it upgrades its read lock.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = ["WRITE_OPTION", "install_sqlite_hooks", "is_busy"]

WRITE_OPTION = "warren_write"
"""Execution option that marks the write engine, so the SQLite `begin` hook takes the write lock."""


def is_busy(exc: OperationalError) -> bool:
    """SQLite's `SQLITE_BUSY`, or one of its extended codes (`SQLITE_BUSY_RECOVERY`, ...)."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def install_sqlite_hooks(engine: Engine, *, busy_timeout_ms: int, autocheckpoint: bool = True) -> None:
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
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
