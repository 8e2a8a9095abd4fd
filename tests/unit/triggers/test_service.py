"""Triggers driven by a fake clock on real stores: each scheduled time fires once, missed times,
pause and resume, failures to `error`, and the execution hook."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from orchestrator.errors import InvalidArgument, NotFound, QuotaExceeded
from orchestrator.triggers.service import TriggerService
from tests.unit.triggers.conftest import World


def spec(model: str = "scripted:echo", **extra: Any) -> dict[str, Any]:
    return {
        "interaction": {"model": model, "input": "good morning"},
        "schedule": "* * * * *",
        "time_zone": "UTC",
        "execution_timeout_seconds": 600,
        "max_consecutive_failures": 5,
        **extra,
    }


async def settle_all(world: World, service: TriggerService | None = None) -> None:
    """Let every created interaction end, then let the loop's sweep record it."""
    for page_item in await world.store.trigger_executions.running(100):
        if page_item.interaction_id:
            await world.interactions.scheduler.wait(page_item.interaction_id)
    await (service or world.triggers).tick()


async def executions(world: World, trigger_id: str) -> list[Any]:
    return (await world.store.trigger_executions.list("t1", trigger_id)).items


async def test_a_due_time_fires_once_and_completes(world: World) -> None:
    trigger = await world.triggers.create("t1", spec())
    assert trigger.next_run_time == datetime(2026, 1, 1, 12, 1, tzinfo=UTC)
    await world.triggers.tick()
    assert await executions(world, trigger.id) == [], "nothing is due before 12:01"
    world.clock.advance(seconds=31)
    await world.triggers.tick()
    await settle_all(world)
    [run] = await executions(world, trigger.id)
    assert (run.status, run.scheduled_time, run.error) == ("completed", trigger.next_run_time, None)
    interaction = await world.store.interactions.get("t1", run.interaction_id)
    assert interaction is not None and interaction.status == "completed" and interaction.api_key_id is None
    after = await world.triggers.get("t1", trigger.id)
    assert after.previous_interaction_id == run.interaction_id
    assert after.next_run_time == datetime(2026, 1, 1, 12, 2, tzinfo=UTC)
    assert [e.id for e in world.ended] == [run.id], "the hook hears of each end exactly once"


async def test_two_servers_and_a_restart_never_fire_a_time_twice(world: World) -> None:
    trigger = await world.triggers.create("t1", spec())
    world.clock.advance(minutes=1)
    other = world.another_server()
    stale = await world.store.triggers.get("t1", trigger.id)
    assert stale is not None
    await world.triggers.tick()
    # the other server read the trigger before the first claimed it: its claim loses
    assert (
        await world.store.trigger_executions.claim(
            stale, stale.next_run_time, [], stale.next_run_time, world.clock()
        )
        is None
    )  # type: ignore[arg-type]
    await other.tick()
    restarted = world.another_server()
    await restarted.tick()
    await settle_all(world, restarted)
    runs = await executions(world, trigger.id)
    assert len(runs) == 1
    page = await world.store.interactions.list("t1")
    assert len(page.items) == 1, "exactly one interaction for the one scheduled time"
    await other.close()
    await restarted.close()


async def test_missed_times_fire_the_latest_once_and_record_the_rest_skipped(world: World) -> None:
    trigger = await world.triggers.create("t1", spec())
    world.clock.advance(minutes=3, seconds=40)  # 12:01, 12:02, 12:03 and 12:04 passed while down
    await world.triggers.tick()
    await settle_all(world)
    runs = await executions(world, trigger.id)
    assert [(r.scheduled_time.minute, r.status) for r in sorted(runs, key=lambda r: r.scheduled_time)] == [
        (1, "skipped"),
        (2, "skipped"),
        (3, "skipped"),
        (4, "completed"),
    ]
    assert len((await world.store.interactions.list("t1")).items) == 1


async def test_pause_stops_firing_and_resume_starts_from_now(world: World) -> None:
    trigger = await world.triggers.create("t1", spec())
    paused = await world.triggers.update("t1", trigger.id, None, "paused")
    assert (paused.status, paused.next_run_time, paused.last_pause_time) == ("paused", None, world.clock())
    world.clock.advance(minutes=10)
    await world.triggers.tick()
    assert await executions(world, trigger.id) == []
    resumed = await world.triggers.update("t1", trigger.id, "renamed", "active")
    assert resumed.next_run_time == datetime(2026, 1, 1, 12, 11, tzinfo=UTC)
    assert resumed.spec["display_name"] == "renamed" and resumed.last_resume_time == world.clock()
    with pytest.raises(InvalidArgument) as refused:
        await world.triggers.update("t1", trigger.id, None, "error")
    assert refused.value.field == "status"


async def test_five_failures_in_a_row_set_error_and_stop_scheduled_runs(world: World) -> None:
    trigger = await world.triggers.create("t1", spec(model="nosuchprovider:model"))
    for _ in range(5):
        run = await world.triggers.run("t1", trigger.id)
        assert run.interaction_id is None
    runs = await executions(world, trigger.id)
    assert {r.status for r in runs} == {"failed"} and "not created" in runs[0].error["message"]
    stopped = await world.triggers.get("t1", trigger.id)
    assert (stopped.status, stopped.consecutive_failure_count, stopped.next_run_time) == ("error", 5, None)
    world.clock.advance(minutes=5)
    await world.triggers.tick()
    assert len(await executions(world, trigger.id)) == 5, "a trigger in error does not fire"
    resumed = await world.triggers.update("t1", trigger.id, None, "active")
    assert (resumed.status, resumed.consecutive_failure_count) == ("active", 0)


async def test_bad_schedule_zone_environment_and_limits_name_their_field(world: World) -> None:
    cases = [
        ({"schedule": "* * * * * *"}, "schedule"),
        ({"schedule": "61 * * * *"}, "schedule"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ]
    for change, field in cases:
        with pytest.raises(InvalidArgument) as refused:
            await world.triggers.create("t1", {**spec(), **change})
        assert refused.value.field == field
    with pytest.raises(NotFound) as missing:
        await world.triggers.create("t1", spec(environment_id="env_nope"))
    assert missing.value.field == "environment_id"
    for _ in range(3):
        await world.triggers.create("t1", spec())
    with pytest.raises(QuotaExceeded):
        await world.triggers.create("t1", spec())


async def test_other_tenants_see_nothing(world: World) -> None:
    trigger = await world.triggers.create("t1", spec())
    for call in (
        world.triggers.get("t2", trigger.id),
        world.triggers.run("t2", trigger.id),
        world.triggers.update("t2", trigger.id, "x", None),
        world.triggers.delete("t2", trigger.id),
        world.triggers.executions("t2", trigger.id, None, None),
    ):
        with pytest.raises(NotFound):
            await call
    assert (await world.triggers.list("t2", None, None, None)).items == []
    assert [t.id for t in (await world.triggers.list("t1", "active", None, None)).items] == [trigger.id]
