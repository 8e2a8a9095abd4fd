"""Migrations: idempotent, and the migrated schema is exactly what the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from orchestrator.store import Database, Store, default_database_url
from orchestrator.store.migrate import current_revision, head_revision
from orchestrator.store.models import Base
from orchestrator.store.urls import normalise_url

EXPECTED_TABLES = {
    "agents",
    "alembic_version",
    "api_keys",
    "approval_answers",
    "credentials",
    "environments",
    "events",
    "idempotency_keys",
    "interactions",
    "interaction_leases",
    "preview_ports",
    "rate_buckets",
    "sandbox_starts",
    "replicas",
    "steps",
    "token_usage",
    "trigger_executions",
    "triggers",
    "webhook_deliveries",
    "webhooks",
}


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrate_twice_is_a_no_op(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            assert await conn.run_sync(current_revision) is None
        await db.migrate()
        await Store(db).agents.create("t", "a1", {"id": "a1"})
        await db.migrate()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(current_revision) == head_revision()
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables == EXPECTED_TABLES
        assert await Store(db).agents.get("t", "a1") is not None, "a second migrate must keep the data"
    finally:
        await db.close()


async def test_schema_matches_models(db: Database) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_sqlite_runs_wal_with_foreign_keys(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'nested' / 'w.db'}") as db:
        assert db.url.startswith("sqlite+aiosqlite://")
        async with db.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 30000
    assert (tmp_path / "nested").is_dir(), "the data directory is created on demand"


def test_default_url_prefers_the_environment(tmp_path: Path) -> None:
    assert (
        default_database_url({"WARREN_DATABASE_URL": "postgresql+asyncpg://u@h/d"})
        == "postgresql+asyncpg://u@h/d"
    )
    assert (
        default_database_url({"WARREN_DATA_DIR": str(tmp_path)})
        == f"sqlite+aiosqlite:///{tmp_path}/warren.db"
    )
    assert default_database_url({"XDG_DATA_HOME": "/x"}) == "sqlite+aiosqlite:////x/warren/warren.db"
    assert default_database_url({}).endswith("/.local/share/warren/warren.db")


def test_plain_urls_get_async_drivers() -> None:
    assert normalise_url("postgresql://u:p@h:5/d") == "postgresql+asyncpg://u:p@h:5/d"
    assert normalise_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalise_url("postgresql+asyncpg://u@h/d") == "postgresql+asyncpg://u@h/d"


async def test_repr_hides_the_password() -> None:
    db = Database("postgresql://u:secret@127.0.0.1:1/d")
    try:
        assert "secret" not in repr(db)
    finally:
        await db.close()
