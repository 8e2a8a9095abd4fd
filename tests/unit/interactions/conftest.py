"""An `InteractionService` on a fresh SQLite store, with no agent runner (model form only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.interactions.service import InteractionService
from orchestrator.scheduler import Scheduler
from orchestrator.store import Store


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[InteractionService]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}")
    scheduler = Scheduler()
    yield InteractionService(store, ProviderRegistry(), scheduler)
    await scheduler.shutdown()
    await store.close()
