"""Create `webhooks` (static subscriptions) and `webhook_deliveries` (the durable outbox and its log).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create `webhooks` and `webhook_deliveries` with their indexes."""
    op.create_table(
        "webhooks",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("uri", sa.String(), nullable=False),
        sa.Column("events", _JSON, nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("secrets", _JSON, nullable=False),
        sa.Column("failing_since", _TS, nullable=True),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_webhooks"),
    )
    op.create_index("ix_webhooks_tenant_created_id", "webhooks", ["tenant", "created", "id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("webhook_id", sa.String(), nullable=True),
        sa.Column("uri", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", _TS, nullable=False),
        sa.Column("lease_until", _TS, nullable=True),
        sa.Column("log", _JSON, nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index(
        "ix_webhook_deliveries_state_next_attempt", "webhook_deliveries", ["state", "next_attempt"]
    )
    op.create_index(
        "ix_webhook_deliveries_tenant_webhook_id_created_id",
        "webhook_deliveries",
        ["tenant", "webhook_id", "created", "id"],
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
