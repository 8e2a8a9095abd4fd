"""Create `preview_ports`: the sandbox ports a tenant opened for preview URLs (a Warren extension).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table; its primary key is the tenant, the environment and the port."""
    op.create_table(
        "preview_ports",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "environment_id", "port", name="pk_preview_ports"),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("preview_ports")
