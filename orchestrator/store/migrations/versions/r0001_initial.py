"""Create every table: api keys, agents, environments, interactions, steps, events, idempotency, usage.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the initial schema."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("prefix", sa.String(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("last_used", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    )
    op.create_index("ix_api_keys_tenant", "api_keys", ["tenant"])

    for table in ("agents", "environments"):
        extra = (
            [
                sa.Column("status", sa.String(), nullable=False),
                sa.Column("sandbox_id", sa.String(), nullable=True),
                sa.Column("runner_token_hash", sa.String(), nullable=True),
            ]
            if table == "environments"
            else []
        )
        op.create_table(
            table,
            sa.Column("tenant", sa.String(), nullable=False),
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("spec", _JSON, nullable=False),
            *extra,
            sa.Column("created", _TS, nullable=False),
            sa.Column("updated", _TS, nullable=False),
            *([sa.Column("last_accessed", _TS, nullable=False)] if table == "environments" else []),
            sa.PrimaryKeyConstraint("tenant", "id", name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_tenant_created_id", table, ["tenant", "created", "id"])

    op.create_table(
        "interactions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("api_key_id", sa.String(), nullable=True),
        sa.Column("agent", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("environment_id", sa.String(), nullable=True),
        sa.Column("previous_interaction_id", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("request", _JSON, nullable=False),
        sa.Column("usage", _JSON, nullable=False),
        sa.Column("errors", _JSON, nullable=True),
        sa.Column("next_step_seq", sa.Integer(), nullable=False),
        sa.Column("next_event_seq", sa.Integer(), nullable=False),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_interactions"),
    )
    op.create_index("ix_interactions_tenant_created_id", "interactions", ["tenant", "created", "id"])
    op.create_index(
        "ix_interactions_tenant_environment_id",
        "interactions",
        ["tenant", "environment_id", "created", "id"],
    )
    op.create_index("ix_interactions_created", "interactions", ["created"])

    for table, kind in (("steps", "type"), ("events", "event_type")):
        op.create_table(
            table,
            sa.Column("interaction_id", sa.String(), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("tenant", sa.String(), nullable=False),
            sa.Column(kind, sa.String(), nullable=False),
            sa.Column("payload", _JSON, nullable=False),
            sa.Column("created", _TS, nullable=False),
            sa.ForeignKeyConstraint(
                ["interaction_id"],
                ["interactions.id"],
                name=f"fk_{table}_interaction_id_interactions",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("interaction_id", "seq", name=f"pk_{table}"),
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("request_hash", sa.String(), nullable=False),
        sa.Column("resource_kind", sa.String(), nullable=False),
        sa.Column("resource_id", sa.String(), nullable=True),
        sa.Column("created", _TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created"])

    op.create_table(
        "token_usage",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("api_key_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("thought_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "api_key_id", "day", name="pk_token_usage"),
    )


def downgrade() -> None:
    """Drop everything the upgrade created, children first."""
    for table in (
        "token_usage",
        "idempotency_keys",
        "events",
        "steps",
        "interactions",
        "environments",
        "agents",
        "api_keys",
    ):
        op.drop_table(table)
