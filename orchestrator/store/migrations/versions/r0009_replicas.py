"""Create `replicas` and `interaction_leases`: which `warren serve` process runs which interaction.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create both tables; a lease is found by its interaction, and renewed by its replica."""
    op.create_table(
        "replicas",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_replicas"),
    )
    op.create_table(
        "interaction_leases",
        sa.Column("interaction_id", sa.String(), nullable=False),
        sa.Column("replica_id", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("interaction_id", name="pk_interaction_leases"),
    )
    op.create_index("ix_interaction_leases_replica_id", "interaction_leases", ["replica_id"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index("ix_interaction_leases_replica_id", table_name="interaction_leases")
    op.drop_table("interaction_leases")
    op.drop_table("replicas")
