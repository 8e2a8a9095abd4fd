"""Warren's store: SQLAlchemy 2 async tables and repositories on SQLite (default) or PostgreSQL.

    store = await Store.open()                      # WARREN_DATABASE_URL or ~/.local/share/warren/warren.db
    agent = await store.agents.create("tenant-a", "repo-fixer", {"id": "repo-fixer"})
    await store.close()

Every repository method takes the tenant and filters by it, so another tenant's id behaves
exactly like a missing one (None, or `NotFoundError`).
"""

from orchestrator.store.agents import AgentRecord, AgentRepository
from orchestrator.store.db import Database
from orchestrator.store.environments import (
    EnvironmentRecord,
    EnvironmentRepository,
    EnvironmentStatus,
    EnvironmentUpdate,
)
from orchestrator.store.errors import (
    AlreadyExistsError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    InvalidPageTokenError,
    NotFoundError,
    StoreError,
)
from orchestrator.store.facade import Store
from orchestrator.store.idempotency import IdempotencyKeys, IdempotencyRecord, hash_request
from orchestrator.store.interactions import (
    InteractionCreate,
    InteractionRecord,
    InteractionRepository,
    InteractionUpdate,
)
from orchestrator.store.keys import ApiKeyRecord, ApiKeys
from orchestrator.store.records import Page
from orchestrator.store.retention import purge_expired, run_retention
from orchestrator.store.step_records import EventRecord, StepRecord
from orchestrator.store.steps import StepLog
from orchestrator.store.urls import default_database_url
from orchestrator.store.usage import TokenUsage, UsageTotals

__all__ = [
    "AgentRecord",
    "AgentRepository",
    "AlreadyExistsError",
    "ApiKeyRecord",
    "ApiKeys",
    "Database",
    "EnvironmentRecord",
    "EnvironmentRepository",
    "EnvironmentStatus",
    "EnvironmentUpdate",
    "EventRecord",
    "IdempotencyConflictError",
    "IdempotencyInProgressError",
    "IdempotencyKeys",
    "IdempotencyRecord",
    "InteractionCreate",
    "InteractionRecord",
    "InteractionRepository",
    "InteractionUpdate",
    "InvalidPageTokenError",
    "NotFoundError",
    "Page",
    "StepLog",
    "StepRecord",
    "Store",
    "StoreError",
    "TokenUsage",
    "UsageTotals",
    "default_database_url",
    "hash_request",
    "purge_expired",
    "run_retention",
]
