"""Agents and environments: create, get, update, delete, and the environment's own state."""

from __future__ import annotations

import asyncio

import pytest

from orchestrator.store import AlreadyExistsError, EnvironmentUpdate, NotFoundError, Store
from orchestrator.store.environment_spec import EnvironmentSpec


async def test_agent_crud(store: Store) -> None:
    created = await store.agents.create("t1", "fixer", {"id": "fixer", "description": "v1"})
    assert created.spec == {"id": "fixer", "description": "v1"}
    assert created.created.tzinfo is not None

    got = await store.agents.get("t1", "fixer")
    assert got == created

    updated = await store.agents.update("t1", "fixer", {"id": "fixer", "description": "v2"})
    assert updated.spec["description"] == "v2"
    assert updated.updated >= created.updated and updated.created == created.created

    await store.agents.delete("t1", "fixer")
    assert await store.agents.get("t1", "fixer") is None
    with pytest.raises(NotFoundError):
        await store.agents.delete("t1", "fixer")
    with pytest.raises(NotFoundError):
        await store.agents.update("t1", "fixer", {})


async def test_duplicate_agent_id_is_refused_but_other_tenants_may_use_it(store: Store) -> None:
    await store.agents.create("t1", "same", {"v": 1})
    with pytest.raises(AlreadyExistsError) as info:
        await store.agents.create("t1", "same", {"v": 2})
    assert isinstance(info.value, ValueError) and info.value.id == "same"
    assert (await store.agents.get("t1", "same")).spec == {"v": 1}  # type: ignore[union-attr]
    await store.agents.create("t2", "same", {"v": 3})


async def test_environment_crud_and_state(store: Store) -> None:
    env = await store.environments.create("t1", "env_1", EnvironmentSpec(network="disabled"))
    assert (env.status, env.sandbox_id) == ("active", None)
    with pytest.raises(AlreadyExistsError):
        await store.environments.create("t1", "env_1", EnvironmentSpec())

    env = await store.environments.update("t1", "env_1", EnvironmentUpdate(sandbox_id="c0ffee"))
    assert env.sandbox_id == "c0ffee" and env.spec.network == "disabled"
    env = await store.environments.update("t1", "env_1", EnvironmentUpdate(status="stopped"))
    assert (env.status, env.sandbox_id) == ("stopped", "c0ffee"), "unset fields keep their value"
    assert [e.id for e in await store.environments.with_sandboxes()] == ["env_1"]
    env = await store.environments.update("t1", "env_1", EnvironmentUpdate(sandbox_id=None))
    assert env.sandbox_id is None, "an explicit None clears the field"

    before = env.last_accessed
    await store.environments.touch("t1", "env_1")
    assert (await store.environments.get("t1", "env_1")).last_accessed > before  # type: ignore[union-attr]

    page = await store.environments.list("t1", status="stopped")
    assert [e.id for e in page.items] == ["env_1"]
    assert (await store.environments.list("t1", status="active")).items == []

    await store.environments.delete("t1", "env_1")
    assert await store.environments.get("t1", "env_1") is None
    with pytest.raises(NotFoundError):
        await store.environments.delete("t1", "env_1")


async def test_runner_token_is_stored_hashed_and_rotates(store: Store) -> None:
    await store.environments.create("t1", "env_1", EnvironmentSpec())
    assert not await store.environments.check_runner_token("t1", "env_1", "anything")
    first = await store.environments.issue_runner_token("t1", "env_1")
    assert await store.environments.check_runner_token("t1", "env_1", first)
    assert not await store.environments.check_runner_token("t1", "env_1", first + "x")
    assert not await store.environments.check_runner_token("t2", "env_1", first)
    second = await store.environments.issue_runner_token("t1", "env_1")
    assert not await store.environments.check_runner_token("t1", "env_1", first)
    assert await store.environments.check_runner_token("t1", "env_1", second)
    assert "runner_token_hash" not in type(await store.environments.get("t1", "env_1")).model_fields


async def test_hand_over_names_the_sandbox_and_issues_a_token_in_one_write(store: Store) -> None:
    await store.environments.create("t1", "env_1", EnvironmentSpec())
    older = await store.environments.issue_runner_token("t1", "env_1")
    token = await store.environments.hand_over("t1", "env_1", "c0ffee")
    assert (await store.environments.get("t1", "env_1")).sandbox_id == "c0ffee"  # type: ignore[union-attr]
    assert await store.environments.check_runner_token("t1", "env_1", token)
    assert not await store.environments.check_runner_token("t1", "env_1", older), "older tokens stop"
    await store.environments.create("t1", "env_3", EnvironmentSpec())
    assert await store.environments.with_running_sandbox("t1") == {"env_1"}, "env_3 has no sandbox"
    assert await store.environments.with_running_sandbox("t2") == set()
    await store.environments.update("t1", "env_1", EnvironmentUpdate(status="stopped"))
    assert await store.environments.with_running_sandbox("t1") == set(), "a stopped one is not counted"
    for missing in (("t2", "env_1"), ("t1", "env_2")):
        with pytest.raises(NotFoundError):
            await store.environments.hand_over(*missing, "c0ffee")
    with pytest.raises(NotFoundError):
        await store.environments.touch("t1", "env_2")
    with pytest.raises(NotFoundError):
        await store.environments.update("t1", "env_2", EnvironmentUpdate(status="stopped"))


async def test_concurrent_read_then_write_updates_all_land(store: Store) -> None:
    """Read-then-write transactions racing on one row all commit (on SQLite a deferred BEGIN would fail
    them with "database is locked" when a read lock cannot be upgraded)."""
    await store.agents.create("t1", "busy", {"n": -1})
    await store.environments.create("t1", "env_busy", EnvironmentSpec())
    await asyncio.gather(
        *(store.agents.update("t1", "busy", {"n": n}) for n in range(20)),
        *(store.environments.touch("t1", "env_busy") for _ in range(20)),
    )
    agent = await store.agents.get("t1", "busy")
    assert agent is not None and agent.spec["n"] in range(20)
