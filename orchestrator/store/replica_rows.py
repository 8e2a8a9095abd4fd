"""The tables that keep several processes on one database in step (`models.py` is at its size).

They join `Base.metadata` when this module is imported, which importing `orchestrator.store` does
(the package imports the repositories that use them), so the migrations test sees them too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.store.models import Base

__all__ = ["ApprovalAnswerRow", "InteractionLeaseRow", "ReplicaRow", "SandboxStartRow"]


class ReplicaRow(Base):
    """A running `warren serve` process on a shared PostgreSQL; `heartbeat_at` is the database's clock."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    host: Mapped[str] = mapped_column(String)
    heartbeat_at: Mapped[datetime]


class InteractionLeaseRow(Base):
    """Which replica runs an unfinished interaction, until `expires_at` (renewed with each heartbeat)."""

    __tablename__ = "interaction_leases"
    __table_args__ = (Index("ix_interaction_leases_replica_id", "replica_id"),)

    interaction_id: Mapped[str] = mapped_column(String, primary_key=True)
    replica_id: Mapped[str] = mapped_column(String)
    expires_at: Mapped[datetime]
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Another replica was asked to cancel it: the holder's heartbeat reads this and cancels its run."""


class ApprovalAnswerRow(Base):
    """The one interaction that answers a paused interaction's approval request (its primary key)."""

    __tablename__ = "approval_answers"
    __table_args__ = (Index("ix_approval_answers_continuation_id", "continuation_id"),)

    interaction_id: Mapped[str] = mapped_column(
        String, ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    continuation_id: Mapped[str] = mapped_column(String, ForeignKey("interactions.id", ondelete="CASCADE"))


class SandboxStartRow(Base):
    """A sandbox of `tenant` being made or resumed by some replica right now (the cap counts it)."""

    __tablename__ = "sandbox_starts"
    __table_args__ = (Index("ix_sandbox_starts_tenant", "tenant"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    tenant: Mapped[str] = mapped_column(String)
    environment_id: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
