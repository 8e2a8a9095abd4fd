"""Create the credentials table: secrets the egress proxy injects as headers.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create `credentials`."""
    op.create_table(
        "credentials",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("config", _JSON, nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_credentials"),
    )
    op.create_index("ix_credentials_tenant_created_id", "credentials", ["tenant", "created", "id"])


def downgrade() -> None:
    """Drop `credentials`."""
    op.drop_table("credentials")
