"""Sandbox starts in flight, shared by replicas, so a tenant's sandbox cap holds across them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """One row per start in flight; a start's own replica deletes it."""
    op.create_table(
        "sandbox_starts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_starts"),
    )
    op.create_index("ix_sandbox_starts_tenant", "sandbox_starts", ["tenant"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_index("ix_sandbox_starts_tenant", table_name="sandbox_starts")
    op.drop_table("sandbox_starts")
