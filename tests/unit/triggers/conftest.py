"""A `TriggerService` on SQLite and PostgreSQL with a fake clock: tests move time and call `tick()`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.interactions.service import InteractionService
from orchestrator.scheduler import Scheduler
from orchestrator.store import Store
from orchestrator.store.trigger_executions import ExecutionRecord
from orchestrator.triggers.service import TriggerService
from tests.unit.store.conftest import database_url, postgres

__all__ = ["database_url", "postgres"]


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    """Two servers' worth of services over one store, sharing the fake clock."""

    store: Store
    clock: Clock
    interactions: InteractionService
    triggers: TriggerService
    ended: list[ExecutionRecord]

    def another_server(self) -> TriggerService:
        """A second `TriggerService` (as in another process) on the same database."""
        return TriggerService(self.store, self.interactions, self.clock)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    store = await Store.open(database_url)
    scheduler = Scheduler()
    interactions = InteractionService(store, ProviderRegistry(), scheduler)
    clock, ended = Clock(), []

    async def hook(execution: ExecutionRecord) -> None:
        ended.append(execution)

    triggers = TriggerService(store, interactions, clock, on_execution_end=[hook], max_per_tenant=3)
    yield World(store, clock, interactions, triggers, ended)
    await triggers.close()
    await scheduler.shutdown()
    await store.close()
