"""An execution whose interaction outlives `execution_timeout_seconds` ends `timed_out` and its
interaction is cancelled; the fake clock decides when the time is up, a model that never answers
keeps the interaction running."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from agents.model_types import ModelRequest, ModelResponse, StreamEvent
from orchestrator.gateway.provider import ModelProvider
from orchestrator.gateway.registry import PROVIDERS, ProviderRegistry
from orchestrator.gateway.retry import RetryPolicy
from orchestrator.gateway.scripted import ScriptedProvider
from orchestrator.interactions.service import InteractionService
from orchestrator.scheduler import Scheduler
from orchestrator.store import Store
from orchestrator.store.trigger_executions import ExecutionRecord
from orchestrator.triggers.service import TriggerService
from tests.unit.triggers.conftest import Clock
from tests.unit.triggers.test_service import spec


class SilentModel(ScriptedProvider):
    """`scripted:echo` that never answers: it says it was called, then waits until cancelled."""

    called = asyncio.Event()

    async def generate(self, request: ModelRequest) -> ModelResponse:
        SilentModel.called.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        SilentModel.called.set()
        await asyncio.Event().wait()
        yield  # type: ignore[misc]  # an async generator that never yields


def _silent(model: str, policy: RetryPolicy | None) -> ModelProvider:
    return SilentModel(model, ())


@dataclass
class Silent:
    store: Store
    clock: Clock
    interactions: InteractionService
    triggers: TriggerService
    ended: list[ExecutionRecord]


@pytest.fixture
async def silent(database_url: str) -> AsyncIterator[Silent]:
    SilentModel.called = asyncio.Event()
    store = await Store.open(database_url)
    scheduler = Scheduler()
    registry = ProviderRegistry({**PROVIDERS, "scripted": _silent})
    interactions = InteractionService(store, registry, scheduler)
    clock, ended = Clock(), []

    async def hook(execution: ExecutionRecord) -> None:
        ended.append(execution)

    triggers = TriggerService(store, interactions, clock, on_execution_end=[hook])
    yield Silent(store, clock, interactions, triggers, ended)
    await triggers.close()
    await scheduler.shutdown()
    await store.close()


async def test_a_run_past_its_timeout_ends_timed_out_and_its_interaction_is_cancelled(silent: Silent) -> None:
    yearly = spec(schedule="0 0 1 1 *", execution_timeout_seconds=60)  # nothing fires but the run now
    trigger = await silent.triggers.create("t1", yearly)
    run = await silent.triggers.run("t1", trigger.id)
    assert run.interaction_id is not None and run.status == "in_progress"
    await SilentModel.called.wait()

    silent.clock.advance(seconds=59)
    await silent.triggers.tick()
    [still] = (await silent.store.trigger_executions.list("t1", trigger.id)).items
    assert still.status == "in_progress", "not yet: 59 s of 60"
    interaction = await silent.store.interactions.get("t1", run.interaction_id)
    assert interaction is not None and interaction.status == "in_progress"

    silent.clock.advance(seconds=1)
    await silent.triggers.tick()
    await silent.interactions.scheduler.wait(run.interaction_id)
    await asyncio.gather(*silent.triggers._watchers)  # the watcher's settle must not rewrite the end
    [ended] = (await silent.store.trigger_executions.list("t1", trigger.id)).items
    assert ended.status == "timed_out" and ended.end_time == silent.clock()
    assert ended.error is not None and "execution_timeout_seconds" in ended.error["message"]
    interaction = await silent.store.interactions.get("t1", run.interaction_id)
    assert interaction is not None and interaction.status == "cancelled"
    assert [(e.id, e.status) for e in silent.ended] == [(run.id, "timed_out")], "the hook hears it once"
    after = await silent.triggers.get("t1", trigger.id)
    assert after.consecutive_failure_count == 1, "a timeout counts as a failure"
