"""`Store`: one object that holds the database and every repository, for the API's dependencies."""

from __future__ import annotations

from typing import Self

from orchestrator.store.agents import AgentRepository
from orchestrator.store.credentials import CredentialRepository
from orchestrator.store.db import Database
from orchestrator.store.environment_locks import EnvironmentLocks
from orchestrator.store.environments import EnvironmentRepository
from orchestrator.store.event_notices import EventNotices
from orchestrator.store.idempotency import IdempotencyKeys
from orchestrator.store.interactions import InteractionRepository
from orchestrator.store.keys import ApiKeys
from orchestrator.store.leases import Leases
from orchestrator.store.preview_ports import PreviewPortRepository
from orchestrator.store.rate_buckets import RateBuckets
from orchestrator.store.sealing import Sealer
from orchestrator.store.steps import StepLog
from orchestrator.store.trigger_executions import TriggerExecutions
from orchestrator.store.triggers import TriggerRepository
from orchestrator.store.usage import TokenUsage
from orchestrator.store.webhook_outbox import WebhookOutbox
from orchestrator.store.webhooks import WebhookRepository

__all__ = ["Store"]


class Store:
    """The database and its repositories, grouped by noun (`store.agents.get(...)`).

    Args:
        db: the database.
        sealer: seals credential secrets at rest; a server passes the installation's key
            (`sealing.load_key`). Without one, a key held only in memory is used, so credentials
            this store writes open in this process only.
    """

    def __init__(self, db: Database, sealer: Sealer | None = None) -> None:
        sealer = sealer or Sealer.ephemeral()
        self.db = db
        """The connection; `migrate()` and `close()` live there."""
        self.agents = AgentRepository(db)
        """Agents."""
        self.environments = EnvironmentRepository(db)
        """Environments."""
        self.interactions = InteractionRepository(db)
        """Interactions."""
        self.steps = StepLog(db)
        """Steps and SSE events of interactions."""
        self.notices = EventNotices(db.url)
        """Wake-ups when another process stores an interaction's events (PostgreSQL)."""
        self.keys = ApiKeys(db)
        """API keys."""
        self.idempotency = IdempotencyKeys(db)
        """`Idempotency-Key` records."""
        self.usage = TokenUsage(db)
        """Token counters."""
        self.credentials = CredentialRepository(db, sealer)
        """Credentials the egress proxy injects (secrets never leave the orchestrator)."""
        self.triggers = TriggerRepository(db)
        """Triggers: scheduled agent interactions."""
        self.trigger_executions = TriggerExecutions(db)
        """Runs of triggers, and the claims of their scheduled times."""
        self.webhooks = WebhookRepository(db, sealer)
        """Webhooks (signing secrets sealed like credentials')."""
        self.outbox = WebhookOutbox(db)
        """Webhook deliveries: the durable outbox and its log."""
        self.preview_ports = PreviewPortRepository(db)
        """Sandbox ports opened for preview URLs (a Warren extension)."""
        self.rate_buckets = RateBuckets(db)
        """Per-key request buckets shared by replicas (PostgreSQL only; its own autocommit pool)."""
        self.environment_locks = EnvironmentLocks(db) if db.dialect == "postgresql" else None
        """Per-environment locks shared by replicas (PostgreSQL; its own pool); None on SQLite."""
        self.leases = Leases(db)
        """Replicas' heartbeats and which one runs each unfinished interaction (PostgreSQL only)."""

    @classmethod
    async def open(
        cls, url: str | None = None, *, migrate: bool = True, sealer: Sealer | None = None
    ) -> Self:
        """Connect (to `url`, else `default_database_url()`) and, by default, migrate to head."""
        db = Database(url)
        if migrate:
            try:
                await db.migrate()
            except BaseException:
                await db.close()
                raise
        return cls(db, sealer)

    async def close(self) -> None:
        """Stop listening for notices, close the rate buckets' and the locks' pools (when opened),
        then the database."""
        await self.notices.close()
        await self.rate_buckets.close()
        if self.environment_locks is not None:
            await self.environment_locks.close()
        await self.db.close()

    async def __aenter__(self) -> Self:
        """Use as `async with await Store.open() as store:`."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the database."""
        await self.close()
