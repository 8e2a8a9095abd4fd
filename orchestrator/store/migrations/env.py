"""Alembic's environment: migrations run only on the connection `Database.migrate()` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from orchestrator.store.models import Base


def _run(connection: Connection) -> None:
    """Migrate on the given connection; SQLite needs batch mode to alter tables."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("run migrations through orchestrator.store.Database.migrate(), not the alembic CLI")
_run(_connection)
