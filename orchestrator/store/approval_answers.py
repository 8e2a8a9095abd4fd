"""An approval request is answered once, even by creates on two replicas at the same moment.

The continuation that answers a paused interaction's approval inserts an `approval_answers` row
keyed by the paused interaction's id in its own create transaction. The primary key lets one
insert through: PostgreSQL makes a second insert wait for the first's transaction and then do
nothing, and SQLite runs write transactions one at a time. The loser's transaction is rolled
back, so nothing of the refused create is stored. Deleting either interaction deletes the row.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from orchestrator.errors import FailedPrecondition
from orchestrator.store.errors import StoreError
from orchestrator.store.replica_rows import ApprovalAnswerRow

__all__ = ["ApprovalAnsweredError", "insert_answer"]


class ApprovalAnsweredError(StoreError, FailedPrecondition):
    """Another interaction answered this paused interaction's approval first (400 on
    `previous_interaction_id`, as the intake's own check answers)."""

    def __init__(self, paused_id: str, taken: str | None) -> None:
        by = f"{taken!r}" if taken else "another interaction"
        super().__init__(
            f"interaction {paused_id!r} waited on an approval that {by} already settled;"
            f" continue {by} instead",
            field="previous_interaction_id",
        )
        self.taken = taken
        """The interaction that answered it (None if it was deleted meanwhile)."""


def insert_answer(conn: Connection, paused_id: str, continuation_id: str) -> None:
    """Record `continuation_id` as the answer to `paused_id`'s approval, in the create's transaction.

    Raises:
        ApprovalAnsweredError: another continuation answered it first (the transaction rolls back).
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    row = dialect.insert(ApprovalAnswerRow).values(interaction_id=paused_id, continuation_id=continuation_id)
    stmt = row.on_conflict_do_nothing(index_elements=["interaction_id"]).returning(
        ApprovalAnswerRow.interaction_id
    )
    if conn.execute(stmt).first() is None:
        taken = conn.execute(
            select(ApprovalAnswerRow.continuation_id).where(ApprovalAnswerRow.interaction_id == paused_id)
        ).scalar_one_or_none()
        raise ApprovalAnsweredError(paused_id, taken)
