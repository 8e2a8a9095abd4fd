"""The tables, as SQLAlchemy 2 typed declarative classes.

Every row carries `tenant`, and every repository filters by it; only the API key lookup by
prefix (authentication, before any tenant is known) reads across tenants. Timestamps are
timezone-aware UTC on every backend (`UtcDateTime`). Wire objects are kept whole as JSON
(`spec`, `request`, `payload`), so the wire can grow without a migration.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AgentRow",
    "ApiKeyRow",
    "Base",
    "CredentialRow",
    "EnvironmentRow",
    "EventRow",
    "IdempotencyRow",
    "InteractionRow",
    "PreviewPortRow",
    "RateBucketRow",
    "StepRow",
    "TokenUsageRow",
    "TriggerExecutionRow",
    "TriggerRow",
    "UtcDateTime",
    "WebhookDeliveryRow",
    "WebhookRow",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so later migrations can refer to them on every backend."""

Json = JSON().with_variant(JSONB(), "postgresql")
"""JSON everywhere, stored as JSONB on PostgreSQL."""


def utcnow() -> datetime:
    """The current time as an aware UTC datetime: the only clock the store uses."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes, which would be silently misread, and normalise to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns naive; PostgreSQL values are converted to UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base; its metadata is what the migrations must reproduce."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: Json, date: Date}


class ApiKeyRow(Base):
    """An API key: only its SHA-256 is stored; the prefix finds the row without a tenant."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    tenant: Mapped[str] = mapped_column(String, index=True)
    name: Mapped[str] = mapped_column(String)
    prefix: Mapped[str] = mapped_column(String, unique=True)
    key_hash: Mapped[str] = mapped_column(String)
    created: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used: Mapped[datetime | None]


class AgentRow(Base):
    """An agent definition: the wire Agent object kept whole in `spec`."""

    __tablename__ = "agents"
    __table_args__ = (Index("ix_agents_tenant_created_id", "tenant", "created", "id"),)

    tenant: Mapped[str] = mapped_column(String, primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    spec: Mapped[dict[str, Any]]
    created: Mapped[datetime]
    updated: Mapped[datetime]


class EnvironmentRow(Base):
    """An environment: the wire request in `spec`, plus the state the scheduler keeps."""

    __tablename__ = "environments"
    __table_args__ = (Index("ix_environments_tenant_created_id", "tenant", "created", "id"),)

    tenant: Mapped[str] = mapped_column(String, primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    spec: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String)
    sandbox_id: Mapped[str | None] = mapped_column(String)
    runner_token_hash: Mapped[str | None] = mapped_column(String)
    created: Mapped[datetime]
    updated: Mapped[datetime]
    last_accessed: Mapped[datetime]
    warren_usage: Mapped[dict[str, Any] | None] = mapped_column(Json)


class InteractionRow(Base):
    """An interaction; the two counters hand out step and event sequence numbers under a row lock."""

    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_tenant_created_id", "tenant", "created", "id"),
        Index("ix_interactions_tenant_environment_id", "tenant", "environment_id", "created", "id"),
        Index("ix_interactions_created", "created"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    tenant: Mapped[str] = mapped_column(String)
    api_key_id: Mapped[str | None] = mapped_column(String)
    agent: Mapped[str | None] = mapped_column(String)
    model: Mapped[str | None] = mapped_column(String)
    environment_id: Mapped[str | None] = mapped_column(String)
    previous_interaction_id: Mapped[str | None] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    request: Mapped[dict[str, Any]]
    usage: Mapped[dict[str, Any]]
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    warren_usage: Mapped[dict[str, Any] | None] = mapped_column(Json)
    next_step_seq: Mapped[int] = mapped_column(Integer)
    next_event_seq: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime]
    updated: Mapped[datetime]


class StepRow(Base):
    """One step of an interaction, append-only, numbered from 0 without gaps."""

    __tablename__ = "steps"

    interaction_id: Mapped[str] = mapped_column(
        String, ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String)
    type: Mapped[str] = mapped_column(String)
    payload: Mapped[dict[str, Any]]
    created: Mapped[datetime]


class EventRow(Base):
    """One SSE event of an interaction, kept so a client can resume after `last_event_id`."""

    __tablename__ = "events"

    interaction_id: Mapped[str] = mapped_column(
        String, ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String)
    event_type: Mapped[str] = mapped_column(String)
    payload: Mapped[dict[str, Any]]
    created: Mapped[datetime]


class IdempotencyRow(Base):
    """An `Idempotency-Key` seen from a tenant; `resource_id` is NULL while the create is running."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created", "created"),)

    tenant: Mapped[str] = mapped_column(String, primary_key=True)
    key: Mapped[str] = mapped_column(String, primary_key=True)
    request_hash: Mapped[str] = mapped_column(String)
    resource_kind: Mapped[str] = mapped_column(String)
    resource_id: Mapped[str | None] = mapped_column(String)
    created: Mapped[datetime]


class TokenUsageRow(Base):
    """Tokens used per tenant, key and UTC day; `api_key_id` is "" for work no key started."""

    __tablename__ = "token_usage"

    tenant: Mapped[str] = mapped_column(String, primary_key=True)
    api_key_id: Mapped[str] = mapped_column(String, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    interactions: Mapped[int] = mapped_column(Integer)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    thought_tokens: Mapped[int] = mapped_column(BigInteger)
    total_tokens: Mapped[int] = mapped_column(BigInteger)


class CredentialRow(Base):
    """A credential the egress proxy injects; `secret` is write-only on the wire and never sent back."""

    __tablename__ = "credentials"
    __table_args__ = (Index("ix_credentials_tenant_created_id", "tenant", "created", "id"),)

    tenant: Mapped[str] = mapped_column(String, primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    type: Mapped[str] = mapped_column(String)
    config: Mapped[dict[str, Any]]
    secret: Mapped[str] = mapped_column(String)
    """Sealed (see `orchestrator.store.sealing`) when `sealed`; plain text only in rows written
    before sealing existed, until the next start-up seals them."""
    sealed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Whether `secret` is sealed."""
    created: Mapped[datetime]
    updated: Mapped[datetime]


class TriggerRow(Base):
    """A trigger: the wire create request in `spec`, plus the schedule state the firing loop keeps."""

    __tablename__ = "triggers"
    __table_args__ = (
        Index("ix_triggers_tenant_created_id", "tenant", "created", "id"),
        Index("ix_triggers_status_next_run_time", "status", "next_run_time"),
    )

    tenant: Mapped[str] = mapped_column(String, primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    spec: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String)
    consecutive_failure_count: Mapped[int] = mapped_column(Integer)
    next_run_time: Mapped[datetime | None]
    last_run_time: Mapped[datetime | None]
    last_pause_time: Mapped[datetime | None]
    last_resume_time: Mapped[datetime | None]
    previous_interaction_id: Mapped[str | None] = mapped_column(String)
    created: Mapped[datetime]
    updated: Mapped[datetime]


class TriggerExecutionRow(Base):
    """One run of a trigger; the unique `slot` (the claimed scheduled time) makes each time fire once."""

    __tablename__ = "trigger_executions"
    __table_args__ = (
        UniqueConstraint("tenant", "trigger_id", "slot"),
        Index("ix_trigger_executions_tenant_trigger_id_created_id", "tenant", "trigger_id", "created", "id"),
        Index("ix_trigger_executions_status", "status"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    tenant: Mapped[str] = mapped_column(String)
    trigger_id: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    interaction_id: Mapped[str | None] = mapped_column(String)
    environment_id: Mapped[str | None] = mapped_column(String)
    error: Mapped[dict[str, Any] | None]
    slot: Mapped[datetime | None]
    """The scheduled time this run claimed; NULL for runs started by hand."""
    scheduled_time: Mapped[datetime]
    start_time: Mapped[datetime | None]
    end_time: Mapped[datetime | None]
    created: Mapped[datetime]


class WebhookRow(Base):
    """A static webhook: where a tenant's events go; `secrets` hold sealed signing secrets."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_tenant_created_id", "tenant", "created", "id"),)

    tenant: Mapped[str] = mapped_column(String, primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str | None] = mapped_column(String)
    uri: Mapped[str] = mapped_column(String)
    events: Mapped[list[str]] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String)
    secrets: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    """`[{"sealed", "truncated", "expire"}]`, newest first; `expire` is an ISO time or None."""
    failing_since: Mapped[datetime | None]
    """The first failed attempt since the last success; None while deliveries succeed."""
    created: Mapped[datetime]
    updated: Mapped[datetime]


class WebhookDeliveryRow(Base):
    """One event for one destination: the outbox entry and its delivery log (`log`)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_state_next_attempt", "state", "next_attempt"),
        Index("ix_webhook_deliveries_tenant_webhook_id_created_id", "tenant", "webhook_id", "created", "id"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    tenant: Mapped[str] = mapped_column(String)
    webhook_id: Mapped[str | None] = mapped_column(String)
    """The static webhook; None for a request's `webhook_config` URI (then `uri` is set)."""
    uri: Mapped[str | None] = mapped_column(String)
    message_id: Mapped[str] = mapped_column(String)
    """`webhook-id`: the same on every attempt, so receivers can drop repeats."""
    event_type: Mapped[str] = mapped_column(String)
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String)
    """`pending`, `delivered`, `failed` (gave up) or `refused` (forbidden address)."""
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    """A deliverer holds the row until then; another process may take it after."""
    log: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    """One entry per attempt: `{attempt, time, status, error}`."""
    created: Mapped[datetime]
    updated: Mapped[datetime]


class PreviewPortRow(Base):
    """A sandbox port opened for preview URLs (a Warren extension); closed ports have no row."""

    __tablename__ = "preview_ports"

    tenant: Mapped[str] = mapped_column(String, primary_key=True)
    environment_id: Mapped[str] = mapped_column(String, primary_key=True)
    port: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime]


class RateBucketRow(Base):
    """One API key's request token bucket, shared by the replicas on PostgreSQL (`rate_buckets.py`)."""

    __tablename__ = "rate_buckets"

    key_id: Mapped[str] = mapped_column(String, primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    """Tokens left at `stamp`; the refill since is computed, never stored ahead."""
    stamp: Mapped[datetime]
    """The database's clock at the last request (`statement_timestamp()`)."""
    granted: Mapped[bool] = mapped_column(Boolean)
    """Whether that request was let through (what `RETURNING` cannot tell from `tokens` alone)."""
