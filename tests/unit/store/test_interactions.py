"""Interactions: server-made ids, updates, deletion with steps and events, the reconcile listing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from orchestrator.store import Database, InteractionCreate, InteractionUpdate, NotFoundError, Store
from orchestrator.store.models import EventRow, StepRow


async def test_create_stores_the_initial_steps(store: Store) -> None:
    user_input = {"type": "user_input", "content": [{"type": "text", "text": "Hello"}]}
    item = await store.interactions.create(
        "t1",
        InteractionCreate(
            request={"model": "scripted:demo", "input": "Hello"}, model="scripted:demo", steps=[user_input]
        ),
    )
    assert re.fullmatch(r"int_[0-9a-f]{32}", item.id)
    assert (item.status, item.usage, item.errors) == ("in_progress", {}, None)
    assert await store.interactions.get("t1", item.id) == item
    steps = await store.steps.list_steps("t1", item.id)
    assert [(s.seq, s.type, s.payload) for s in steps] == [(0, "user_input", user_input)]
    nxt = await store.steps.append_step("t1", item.id, {"type": "model_output", "content": []})
    assert nxt.seq == 1


async def test_update_status_usage_and_errors(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    done = await store.interactions.update(
        "t1",
        item.id,
        InteractionUpdate(status="completed", usage={"total_tokens": 11}, environment_id="env_1"),
    )
    assert (done.status, done.usage, done.environment_id) == ("completed", {"total_tokens": 11}, "env_1")
    failed = await store.interactions.update(
        "t1", item.id, InteractionUpdate(status="failed", errors=[{"code": "x", "message": "boom"}])
    )
    assert failed.usage == {"total_tokens": 11}
    assert failed.errors == [{"code": "x", "message": "boom"}]
    cleared = await store.interactions.update("t1", item.id, InteractionUpdate(errors=None))
    assert cleared.errors is None
    with pytest.raises(NotFoundError):
        await store.interactions.update("t1", "int_missing", InteractionUpdate(status="failed"))


async def test_delete_takes_steps_and_events(store: Store, db: Database) -> None:
    keep = await store.interactions.create(
        "t1", InteractionCreate(request={}, steps=[{"type": "user_input"}])
    )
    item = await store.interactions.create(
        "t1", InteractionCreate(request={}, steps=[{"type": "user_input"}])
    )
    await store.steps.append_event("t1", item.id, {"event_type": "interaction.created"})
    await store.interactions.delete("t1", item.id)
    assert await store.interactions.get("t1", item.id) is None
    async with db.read() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(StepRow).where(StepRow.interaction_id == item.id)
            )
            == 0
        )
        assert await session.scalar(select(func.count()).select_from(EventRow)) == 0
        assert await session.scalar(select(func.count()).select_from(StepRow)) == 1
    assert len(await store.steps.list_steps("t1", keep.id)) == 1
    with pytest.raises(NotFoundError):
        await store.interactions.delete("t1", item.id)


async def test_unfinished_lists_running_interactions_of_every_tenant(store: Store) -> None:
    running = await store.interactions.create("t1", InteractionCreate(request={}))
    queued = await store.interactions.create("t2", InteractionCreate(request={}, status="queued"))
    await store.interactions.create("t1", InteractionCreate(request={}, status="completed"))
    assert {i.id for i in await store.interactions.unfinished()} == {running.id, queued.id}


async def test_a_step_without_type_is_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.interactions.create("t1", InteractionCreate(request={}, steps=[{"content": []}]))
    assert (await store.interactions.list("t1")).items == [], "nothing half-stored"


async def test_latest_agent_of_an_environment(store: Store) -> None:
    """The agent of the environment's newest agent interaction (what its sandbox's skills follow)."""
    assert await store.interactions.latest_agent("t1", "env_1") is None
    for agent, env in (("first", "env_1"), (None, "env_1"), ("second", "env_1"), ("other", "env_2")):
        request = {"agent": agent} if agent else {"model": "scripted:demo"}
        row = InteractionCreate(
            request=request, agent=agent, model=None if agent else "scripted:demo", environment_id=env
        )
        await store.interactions.create("t1", row)
    assert await store.interactions.latest_agent("t1", "env_1") == "second", "a model interaction has none"
    assert await store.interactions.latest_agent("t2", "env_1") is None, "another tenant's rows are not read"
