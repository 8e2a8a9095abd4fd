"""A cancel requested through another replica, and an approval answered once.

`interaction_leases.cancel_requested`: the replica holding the lease reads it with its heartbeat
and cancels its run. `approval_answers`: one row per paused interaction whose approval request a
continuation answered, inserted in that continuation's create; a second one fails its create.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the column and the table; both rows go with their interactions."""
    op.add_column(
        "interaction_leases",
        sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "approval_answers",
        sa.Column("interaction_id", sa.String(), nullable=False),
        sa.Column("continuation_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name="fk_approval_answers_interaction_id_interactions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["continuation_id"],
            ["interactions.id"],
            name="fk_approval_answers_continuation_id_interactions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interaction_id", name="pk_approval_answers"),
    )
    op.create_index("ix_approval_answers_continuation_id", "approval_answers", ["continuation_id"])


def downgrade() -> None:
    """Drop the table and the column."""
    op.drop_index("ix_approval_answers_continuation_id", table_name="approval_answers")
    op.drop_table("approval_answers")
    op.drop_column("interaction_leases", "cancel_requested")
