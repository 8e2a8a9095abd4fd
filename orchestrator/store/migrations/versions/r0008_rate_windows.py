"""Create `rate_buckets`: one request token bucket per API key, shared by replicas on PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

On PostgreSQL the table is UNLOGGED: a bucket is worth nothing after a crash (losing it only refills
the keys' bursts), and a transaction that writes only unlogged tables commits without waiting for
a WAL flush. SQLite gets the same table, unused there (one process per file keeps its buckets in
memory).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table, keyed by the API key's id."""
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "rate_buckets",
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("stamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name="pk_rate_buckets"),
        prefixes=unlogged,
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("rate_buckets")
