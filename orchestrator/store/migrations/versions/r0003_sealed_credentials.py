"""Mark which credential secrets are sealed (encrypted at rest); existing rows start unsealed.

The server seals the unsealed rows at start-up (`CredentialRepository.seal_unsealed`): the key
lives outside the database, so the migration itself cannot encrypt them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add `credentials.sealed` (false for the rows already there)."""
    op.add_column("credentials", sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Drop `credentials.sealed` (sealed secrets stay sealed: open them before downgrading)."""
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("sealed")
