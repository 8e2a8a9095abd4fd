"""Add `warren_usage` (sandbox CPU, memory, workspace and egress figures) to interactions and environments.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add the nullable `warren_usage` column to both tables (existing rows have no figures)."""
    op.add_column("interactions", sa.Column("warren_usage", _JSON, nullable=True))
    op.add_column("environments", sa.Column("warren_usage", _JSON, nullable=True))


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("environments") as batch:
        batch.drop_column("warren_usage")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("warren_usage")
