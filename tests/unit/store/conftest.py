"""Fixtures for the store tests: every test that takes `db` or `store` runs on SQLite and on PostgreSQL.

The PostgreSQL server is started once per session (tests/support/postgres.py); each test gets its
own fresh database on it, and its own SQLite file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from orchestrator.store import Database, Store
from tests.support.postgres import PostgresNotInstalledError, PostgresServer, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the session; fails (not skips) when it is not installed."""
    manager = postgres_server()
    try:
        server = manager.__enter__()
    except PostgresNotInstalledError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a SQLite file in the test's temp dir, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = await server.create_database()
    yield url
    await server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, closed after the test."""
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def store(db: Database) -> Store:
    """Every repository on the migrated database."""
    return Store(db)
