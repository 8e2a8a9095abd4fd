"""An environment's `warren_usage` sums its interactions' (migration 0006), per tenant, on both databases."""

from __future__ import annotations

import pytest

from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from orchestrator.store.errors import NotFoundError


async def test_usage_adds_up_keeps_the_larger_peak_and_the_latest_workspace(store: Store) -> None:
    await store.environments.create("t1", "env_1", EnvironmentSpec())
    assert (await store.environments.get("t1", "env_1")).warren_usage is None  # type: ignore[union-attr]
    first = {"cpu_seconds": 1.25, "peak_memory_bytes": 900, "workspace_bytes": 50}
    await store.environments.add_usage("t1", "env_1", first)
    second = {**first, "peak_memory_bytes": 100, "workspace_bytes": 7}
    await store.environments.add_usage("t1", "env_1", second)
    record = await store.environments.get("t1", "env_1")
    assert record is not None
    assert record.warren_usage == {"cpu_seconds": 2.5, "peak_memory_bytes": 900, "workspace_bytes": 7}


async def test_another_tenants_environment_is_not_found(store: Store) -> None:
    await store.environments.create("t1", "env_1", EnvironmentSpec())
    with pytest.raises(NotFoundError):
        await store.environments.add_usage("t2", "env_1", {"cpu_seconds": 1.0})
    record = await store.environments.get("t1", "env_1")
    assert record is not None and record.warren_usage is None
