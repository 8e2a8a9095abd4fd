"""The runner channel's steps over a real Unix socket: one request a step, stored before the answer,
idempotent by turn (the ledger recovery relies on), budgets enforced by the orchestrator."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from agents.channel import Channel
from agents.model_types import Message, ModelRequest, StreamEvent, TextPart, ToolCallPart
from agents.protocol import (
    PREFIX,
    Budget,
    FinishReport,
    ModelCallResult,
    StepCall,
    StepContext,
    ToolResultReport,
    WorkItem,
)
from agents.runner import Runner
from agents.tools.results import ToolResult
from orchestrator.channel.errors import RunnerLost
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.server import SOCKET_NAME, ChannelServers
from orchestrator.channel.turn import Resumed, answers_of
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.gateway.retry import RetryPolicy
from orchestrator.gateway.scripted import ScriptedProvider
from orchestrator.interactions.history import to_messages
from orchestrator.interactions.live import LiveLogs
from orchestrator.interactions.recorder import Recorder
from orchestrator.store import InteractionCreate, Store

ENV = "env-steps"
TENANT = "t1"


class CountingModel:
    """The scripted model, counting its calls: a replayed step must not call it again."""

    name = "scripted"  # a `ModelProvider` has a name (the metrics label it)
    calls = 0
    folder = Path()
    """Where the test's scripts are (the operator's scripts folder: a model names a script, not a path)."""

    def __init__(self, model: str, _policy: RetryPolicy | None = None) -> None:
        self.inner = ScriptedProvider(model, folders=(CountingModel.folder,))

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        CountingModel.calls += 1
        async for event in self.inner.stream(request):
            yield event


@dataclass
class FakeTools:
    """Records every call: a side effect that must happen once."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        self.calls.append((name, arguments))
        return ToolResult(output=f"{name} done #{len(self.calls)}")

    async def interrupt(self) -> None:
        return None

    async def close(self) -> None:
        return None


@dataclass
class Rig:
    store: Store
    hub: RunnerHub
    channels: ChannelServers
    root: Path
    model: str
    interaction_id: str = ""

    def recorder(self, stored_steps: int = 1, stored_events: list[dict[str, Any]] | None = None) -> Recorder:
        async def persist(steps: list[dict[str, Any]], events: list[dict[str, Any]], _usage: Any) -> None:
            await self.store.steps.append_batch(TENANT, self.interaction_id, steps, events)

        log = LiveLogs().open(self.interaction_id, stored=stored_events or [])
        return Recorder(log, persist, first_index=stored_steps)

    def transport(self) -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(uds=self.socket())

    def socket(self) -> str:
        return str(self.channels.folder(ENV) / SOCKET_NAME)

    async def stored(self) -> list[dict[str, Any]]:
        return [row.payload for row in await self.store.steps.list_steps(TENANT, self.interaction_id)]

    async def restart(self) -> None:
        """What a new orchestrator process sees: a fresh hub and channel server on the same folder."""
        await self.channels.close_all()
        self.hub = RunnerHub(ProviderRegistry({"scripted": CountingModel}), runner_timeout_s=5)
        self.channels = ChannelServers(self.hub, self.root)
        await self.channels.ensure(ENV, _any_token)


async def _any_token(_token: str) -> bool:
    return True


def _script(path: Path, turns: list[dict[str, Any]]) -> str:
    path.write_text(yaml.safe_dump({"turns": turns}))
    CountingModel.folder = path.parent
    return f"scripted:{path.stem}"


TWO_TOOLS = [
    {"tool_calls": [{"name": "write_file", "arguments": {"path": "a.txt", "content": "1"}}]},
    {"tool_calls": [{"name": "list_files", "arguments": {"path": "."}}]},
    {"text": "done"},
]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    root = Path(tempfile.mkdtemp(prefix="wch-", dir="/tmp"))  # socket paths must stay short
    store = await Store.open(f"sqlite+aiosqlite:///{root / 'w.db'}")
    hub = RunnerHub(ProviderRegistry({"scripted": CountingModel}), runner_timeout_s=5)
    channels = ChannelServers(hub, root / "run")
    await channels.ensure(ENV, _any_token)
    rig = Rig(store, hub, channels, root / "run", _script(root / "s.yaml", TWO_TOOLS))
    user = {"type": "user_input", "content": [{"type": "text", "text": "go"}]}
    record = await store.interactions.create(
        TENANT, InteractionCreate(request={"agent": "default"}, agent="default", steps=[user])
    )
    rig.interaction_id = record.id
    CountingModel.calls = 0
    yield rig
    await rig.channels.close_all()
    await store.close()
    shutil.rmtree(root, ignore_errors=True)


def _work(rig: Rig, **budget: Any) -> WorkItem:
    return WorkItem(
        interaction_id=rig.interaction_id,
        builtin_tools=["write_file", "list_files"],
        budget=Budget(**budget),
    )


CONVERSATION = [Message(role="user", parts=[TextPart(text="go")])]


async def _drive(rig: Rig, work: WorkItem, tools: FakeTools) -> tuple[FinishReport, str]:
    """Run the real runner loop against the hub; commit the ending as the service would."""
    channel = Channel(rig.socket(), "token")
    running = asyncio.create_task(rig.hub.run(ENV, rig.model, work, rig.recorder(), CONVERSATION))
    pulled = await channel.next_work(wait_s=5)
    assert pulled is not None and pulled.interaction_id == rig.interaction_id
    outcome = asyncio.create_task(Runner(channel, tools, workspace=rig.root).run(pulled))
    report = await running
    rig.hub.committed(rig.interaction_id)
    ending = await outcome
    await channel.close()
    return report, ending


async def test_a_whole_loop_stores_each_step_once_in_order(rig: Rig) -> None:
    tools = FakeTools()
    report, outcome = await _drive(rig, _work(rig), tools)
    assert outcome == report.outcome == "completed"
    assert [name for name, _ in tools.calls] == ["write_file", "list_files"]
    kinds = [step["type"] for step in await rig.stored()]
    assert kinds == [
        "user_input",
        "function_call",
        "function_result",
        "function_call",
        "function_result",
        "model_output",
    ]
    assert CountingModel.calls == 3


async def test_a_retried_step_is_answered_from_the_ledger_not_the_model(rig: Rig) -> None:
    running = asyncio.create_task(rig.hub.run(ENV, rig.model, _work(rig), rig.recorder(), CONVERSATION))
    context = StepContext()
    async with httpx.AsyncClient(
        transport=rig.transport(), base_url="http://o" + PREFIX, headers={"authorization": "Bearer t"}
    ) as runner:
        assert (await runner.get("/work", params={"wait_s": 5})).status_code == 200
        step0 = StepCall(interaction_id=rig.interaction_id, turn=0, context=context).model_dump_json()
        first = ModelCallResult.model_validate_json((await runner.post("/step", content=step0)).content)
        again = ModelCallResult.model_validate_json((await runner.post("/step", content=step0)).content)
        assert first.response is not None and again.response == first.response
        assert CountingModel.calls == 1, "the retry was replayed, not sent to the model"
        assert len(await rig.stored()) == 2, "the call is stored once, before the answer went back"
        skipped = StepCall(interaction_id=rig.interaction_id, turn=5).model_dump_json()
        out_of_order = await runner.post("/step", content=skipped)
        assert out_of_order.status_code == 409 and "out of order" in out_of_order.text
    running.cancel()


async def test_after_a_restart_the_runner_carries_on_and_nothing_repeats(rig: Rig) -> None:
    """The orchestrator dies after answering step 0; the runner ran the tool and retries step 1."""
    work = _work(rig)
    first = asyncio.create_task(rig.hub.run(ENV, rig.model, work, rig.recorder(), CONVERSATION))
    channel = Channel(rig.socket(), "token", max_backoff_s=0.2)
    pulled = await channel.next_work(wait_s=5)
    assert pulled is not None
    answer = await channel.step(StepCall(interaction_id=rig.interaction_id, turn=0, context=StepContext()))
    assert answer.response is not None
    tool_call = answer.response.parts[0]
    assert isinstance(tool_call, ToolCallPart)
    tools = FakeTools()
    result = await tools.call("write_file", {})
    first.cancel()
    await rig.restart()  # the new process rebuilds the turn from the store

    stored = await rig.stored()
    resumed = Resumed(answers=answers_of(to_messages(stored)), reported=set())
    events = [row.payload for row in await rig.store.steps.events_after(TENANT, rig.interaction_id, -1)]
    recorder = rig.recorder(len(stored), events)
    second = asyncio.create_task(rig.hub.run(ENV, rig.model, work, recorder, to_messages(stored), resumed))
    channel2 = Channel(rig.socket(), "token")
    replay = await channel2.step(StepCall(interaction_id=rig.interaction_id, turn=0))
    assert replay.response is not None
    assert replay.response.parts == answer.response.parts, "a lost answer is replayed from the store"
    report = ToolResultReport(
        interaction_id=rig.interaction_id, call_id=tool_call.id, name="write_file", output=result.output
    )
    need = await channel2.step(StepCall(interaction_id=rig.interaction_id, turn=1, results=[report]))
    assert need.need_context, "the new process asks for the context it lost"
    step1 = StepCall(interaction_id=rig.interaction_id, turn=1, results=[report], context=StepContext())
    assert (await channel2.step(step1)).response is not None
    assert (await channel2.step(step1)).response is not None  # retried once more: still one result
    kinds = [step["type"] for step in await rig.stored()]
    assert kinds.count("function_result") == 1 and kinds.count("function_call") == 2
    assert CountingModel.calls == 2, "step 0 was never asked of the model again"
    second.cancel()
    await channel.close()
    await channel2.close()


async def test_a_runner_that_starts_the_turn_over_never_reruns_an_unreported_call(rig: Rig) -> None:
    """The runner lost the turn (it was told to stop while the server went down) and pulls it again."""
    work = _work(rig)
    first = asyncio.create_task(rig.hub.run(ENV, rig.model, work, rig.recorder(), CONVERSATION))
    channel = Channel(rig.socket(), "token")
    assert await channel.next_work(wait_s=5) is not None
    answer = await channel.step(StepCall(interaction_id=rig.interaction_id, turn=0, context=StepContext()))
    assert answer.response is not None  # write_file was handed out; its result never comes back
    first.cancel()
    await channel.close()
    await rig.restart()

    stored = await rig.stored()
    answers = answers_of(to_messages(stored))
    events = [row.payload for row in await rig.store.steps.events_after(TENANT, rig.interaction_id, -1)]
    again = work.model_copy(update={"first_turn": len(answers)})
    tools = FakeTools()
    recorder = rig.recorder(len(stored), events)
    second = asyncio.create_task(
        rig.hub.run(ENV, rig.model, again, recorder, to_messages(stored), Resumed(answers, set()))
    )
    runner_channel = Channel(rig.socket(), "token")
    pulled = await runner_channel.next_work(wait_s=5)
    assert pulled is not None and pulled.first_turn == 1
    running = asyncio.create_task(Runner(runner_channel, tools, workspace=rig.root).run(pulled))
    assert (await second).outcome == "completed"
    rig.hub.committed(rig.interaction_id)  # as the service does once the ending is stored
    assert await running == "completed"
    assert [name for name, _ in tools.calls] == ["list_files"], "write_file was not run again"
    results = [s for s in await rig.stored() if s["type"] == "function_result"]
    assert results[0]["name"] == "write_file" and results[0]["is_error"]
    assert "not run again" in results[0]["result"][0]["text"]
    await runner_channel.close()


async def test_a_turn_whose_runner_never_returns_fails(rig: Rig) -> None:
    rig.hub.runner_timeout_s = 0.4
    resumed = Resumed(answers=[], reported=set())
    with pytest.raises(RunnerLost, match="has not been heard from"):
        await rig.hub.run(ENV, rig.model, _work(rig), rig.recorder(), CONVERSATION, resumed)


async def test_a_runner_that_dies_mid_turn_fails_the_turn(rig: Rig) -> None:
    """Its sandbox removed from outside: the turn ends instead of hanging."""
    rig.hub.runner_timeout_s = 0.5
    running = asyncio.create_task(rig.hub.run(ENV, rig.model, _work(rig), rig.recorder(), CONVERSATION))
    channel = Channel(rig.socket(), "token")
    assert await channel.next_work(wait_s=5) is not None
    assert await channel.step(StepCall(interaction_id=rig.interaction_id, turn=0, context=StepContext()))
    await channel.close()  # and never a word again
    with pytest.raises(RunnerLost):
        await asyncio.wait_for(running, 5)


async def test_a_stopped_sandbox_is_revived_and_its_new_runner_carries_on(rig: Rig) -> None:
    """The runner died with its sandbox after step 0 handed out write_file; `revive` starts the
    sandbox again, the turn is queued from the last answer, and the call is never run again."""
    rig.hub.runner_timeout_s = 0.8
    revived: list[float] = []

    async def revive() -> bool:
        revived.append(asyncio.get_running_loop().time())
        return len(revived) == 1  # stopped the first time asked; running after that

    work = _work(rig)
    running = asyncio.create_task(
        rig.hub.run(ENV, rig.model, work, rig.recorder(), CONVERSATION, revive=revive)
    )
    channel = Channel(rig.socket(), "token")
    assert await channel.next_work(wait_s=5) is not None
    assert await channel.step(StepCall(interaction_id=rig.interaction_id, turn=0, context=StepContext()))
    await channel.close()  # and never a word again: the sandbox stopped

    tools = FakeTools()
    runner_channel = Channel(rig.socket(), "token")
    pulled = await runner_channel.next_work(wait_s=5)
    assert revived and pulled is not None and pulled.first_turn == 1, "queued again from the last answer"
    runner = asyncio.create_task(Runner(runner_channel, tools, workspace=rig.root).run(pulled))
    assert (await asyncio.wait_for(running, 10)).outcome == "completed"
    rig.hub.committed(rig.interaction_id)
    assert await runner == "completed"
    assert [name for name, _ in tools.calls] == ["list_files"], "write_file was not run again"
    results = [s for s in await rig.stored() if s["type"] == "function_result"]
    assert results[0]["name"] == "write_file" and "not run again" in results[0]["result"][0]["text"]
    await runner_channel.close()


async def test_a_busy_runner_is_not_taken_for_dead(rig: Rig) -> None:
    """A tool running longer than the timeout: the runner's cancel polls show it is alive."""

    class SlowTools(FakeTools):
        async def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
            await asyncio.sleep(1.2)
            return await super().call(name, arguments)

    rig.hub.runner_timeout_s = 0.6
    report, outcome = await _drive(rig, _work(rig), SlowTools())
    assert outcome == report.outcome == "completed"


@pytest.mark.parametrize(
    ("budget", "reason"),
    [
        ({"max_steps": 1}, "step budget of 1"),
        ({"max_total_tokens": 1}, "token budget of 1"),
    ],
)
async def test_the_orchestrator_ends_a_turn_past_its_budget(
    rig: Rig, budget: dict[str, Any], reason: str
) -> None:
    tools = FakeTools()
    report, outcome = await _drive(rig, _work(rig, **budget), tools)
    assert outcome == report.outcome == "budget_exceeded"
    assert report.error is not None and reason in report.error
    assert len(tools.calls) == 1, "the first step's tool ran, then the budget stopped the loop"


async def test_the_hub_refuses_a_step_past_the_budget_even_if_the_runner_ignores_it(rig: Rig) -> None:
    running = asyncio.create_task(
        rig.hub.run(ENV, rig.model, _work(rig, max_steps=1), rig.recorder(), CONVERSATION)
    )
    channel = Channel(rig.socket(), "token")
    assert await channel.next_work(wait_s=5) is not None
    first = await channel.step(StepCall(interaction_id=rig.interaction_id, turn=0, context=StepContext()))
    assert first.response is not None
    second = await channel.step(StepCall(interaction_id=rig.interaction_id, turn=1))
    assert (second.ending, second.response) == ("budget_exceeded", None)
    assert CountingModel.calls == 1
    running.cancel()
    await channel.close()


async def test_finish_returns_only_once_the_ending_is_stored(rig: Rig) -> None:
    running = asyncio.create_task(rig.hub.run(ENV, rig.model, _work(rig), rig.recorder(), CONVERSATION))
    channel = Channel(rig.socket(), "token")
    assert await channel.next_work(wait_s=5) is not None
    finish = asyncio.create_task(
        channel.finish(FinishReport(interaction_id=rig.interaction_id, outcome="completed"))
    )
    assert (await running).outcome == "completed"
    await asyncio.sleep(0.1)
    assert not finish.done(), "the runner must retry until the ending is committed"
    rig.hub.committed(rig.interaction_id)
    await asyncio.wait_for(finish, 5)
    await channel.close()
