"""Create `triggers` (scheduled agent interactions) and `trigger_executions` (one row per run).

`trigger_executions.slot` is the scheduled time a scheduled run claims; the unique key on
(tenant, trigger_id, slot) is what makes each scheduled time fire exactly once across restarts
and server processes. Runs started by hand ("run now") leave `slot` NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create `triggers` and `trigger_executions` with their indexes."""
    op.create_table(
        "triggers",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("spec", _JSON, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("consecutive_failure_count", sa.Integer(), nullable=False),
        sa.Column("next_run_time", _TS, nullable=True),
        sa.Column("last_run_time", _TS, nullable=True),
        sa.Column("last_pause_time", _TS, nullable=True),
        sa.Column("last_resume_time", _TS, nullable=True),
        sa.Column("previous_interaction_id", sa.String(), nullable=True),
        sa.Column("created", _TS, nullable=False),
        sa.Column("updated", _TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_triggers"),
    )
    op.create_index("ix_triggers_tenant_created_id", "triggers", ["tenant", "created", "id"])
    op.create_index("ix_triggers_status_next_run_time", "triggers", ["status", "next_run_time"])
    op.create_table(
        "trigger_executions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("trigger_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("interaction_id", sa.String(), nullable=True),
        sa.Column("environment_id", sa.String(), nullable=True),
        sa.Column("error", _JSON, nullable=True),
        sa.Column("slot", _TS, nullable=True),
        sa.Column("scheduled_time", _TS, nullable=False),
        sa.Column("start_time", _TS, nullable=True),
        sa.Column("end_time", _TS, nullable=True),
        sa.Column("created", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trigger_executions"),
        sa.UniqueConstraint(
            "tenant", "trigger_id", "slot", name="uq_trigger_executions_tenant_trigger_id_slot"
        ),
    )
    op.create_index(
        "ix_trigger_executions_tenant_trigger_id_created_id",
        "trigger_executions",
        ["tenant", "trigger_id", "created", "id"],
    )
    op.create_index("ix_trigger_executions_status", "trigger_executions", ["status"])


def downgrade() -> None:
    """Drop `trigger_executions` and `triggers`."""
    op.drop_table("trigger_executions")
    op.drop_table("triggers")
