"""The orchestrator's side of the runner channel: work queues, steps, budgets, results and cancels.

Each environment has a queue of turns for its runner. An agent interaction puts its `WorkItem` on
the queue and waits for the runner's `FinishReport`; meanwhile each of the runner's steps (the last
tool results, then the next model call through the gateway: the sandbox never holds a model key)
is recorded and stored *before* the answer goes back. That makes the log the ledger recovery
needs: a step retried after a restart is answered from what was stored, so no tool result is
stored twice and no tool call is handed to the runner twice.

The orchestrator, not the sandbox, enforces the budgets (steps, tokens, wall time) and the tenant's
token quota before every model call: a runner that ignored them could not get another model call
anyway. It also owns what each call carries (`channel.context`: the agent's instruction, tools and
generation settings), and it stores results only for tool calls the model made.

Each sandbox start arms one claim of the runner's credential (`arm`); the runner, the sandbox's
first process, takes it (`claim`), and every later claim is refused, so code the model runs
cannot become the runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from agents.model_types import (
    Message,
    ModelRequest,
    ModelResponse,
    TextPart,
    ThoughtPart,
    ToolCallPart,
    ToolResultPart,
)
from agents.protocol import (
    Ack,
    Control,
    FinishReport,
    ModelCallResult,
    StepCall,
    ToolResultReport,
    WorkItem,
)
from orchestrator.channel.budget import over_budget
from orchestrator.channel.context import ModelContext, compose
from orchestrator.gateway.errors import GatewayError
from orchestrator.gateway.provider import ProviderRegistry
from orchestrator.interactions.history import result_step
from orchestrator.interactions.recorder import Recorder

__all__ = [
    "ChannelBusy",
    "ChannelError",
    "Issuer",
    "QuotaCheck",
    "Resumed",
    "RunnerHub",
    "RunnerLost",
    "answers_of",
]

log = logging.getLogger("orchestrator.channel")
_CANCEL_GRACE_S = 5.0
_COMMIT_WAIT_S = 30.0
_ANSWER_PARTS = (TextPart, ThoughtPart, ToolCallPart)
_UNKNOWN_OUTCOME = (
    "This call was interrupted: the server restarted while it ran, and its outcome is unknown. "
    "It was not run again; check its effect before repeating it."
)


Reviver = Callable[[], Awaitable[bool]]
"""Starts the environment's sandbox again if it no longer runs (its runner died with it); returns
whether it did."""
Issuer = Callable[[], Awaitable[str]]
"""Makes the credential a claim hands out (and makes every older one stop working)."""
QuotaCheck = Callable[[str, int], Awaitable[str | None]]
"""`(tenant, tokens its running turns used so far)` -> why the tenant may not make another model
call (its token quota is used up), or None."""


class ChannelError(LookupError):
    """The runner named an interaction that is not running in its environment, or a step out of order."""


class ChannelBusy(RuntimeError):
    """The interaction is about to be resumed (start-up): the runner should retry shortly."""


class RunnerLost(RuntimeError):
    """The environment's runner went silent (its sandbox was removed or stopped, or it is stuck)."""


@dataclass
class Resumed:
    """Where a turn stood when the process that ran it died: rebuilt from the stored steps."""

    answers: list[ModelResponse]
    """The model's answers already stored in this interaction, one per step, in order."""
    reported: set[str]
    """Call ids whose results are already stored."""


@dataclass
class _Running:
    """A turn handed to a runner and not yet finished."""

    environment_id: str
    tenant: str
    model: str
    recorder: Recorder
    work: WorkItem
    conversation: list[Message]
    finished: asyncio.Future[FinishReport]
    answers: list[ModelResponse] = field(default_factory=list)
    reported: set[str] = field(default_factory=set)
    issued: dict[str, str] = field(default_factory=dict)
    """Built-in tool calls the model made in this turn (call id -> tool name): the only results stored."""
    context: ModelContext | None = None
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)
    """When the runner last asked anything about this turn (monotonic seconds)."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RunnerHub:
    """Queues turns per environment and serves the runner endpoints' logic.

    Args:
        gateway: the model providers.
        runner_timeout_s: a turn whose environment's runner stays silent this long (**seconds**)
            fails. A live runner is never that quiet: it polls for work and, during a turn, for
            cancels every quarter second.
        quota: the tenant's token quota, asked before every model call; None: no quota.
    """

    def __init__(
        self, gateway: ProviderRegistry, runner_timeout_s: float = 30.0, quota: QuotaCheck | None = None
    ) -> None:
        self.gateway = gateway
        self.runner_timeout_s = runner_timeout_s
        self.quota = quota
        self._claims: dict[str, Issuer] = {}
        self._queues: defaultdict[str, asyncio.Queue[WorkItem]] = defaultdict(asyncio.Queue)
        self._running: dict[str, _Running] = {}
        self._closing: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._committed: dict[str, asyncio.Event] = {}
        self._expected: set[str] = set()
        self._heard: dict[str, float] = {}  # environment id -> when its runner last asked anything
        self._detached = False

    async def run(
        self,
        environment_id: str,
        model: str,
        work: WorkItem,
        recorder: Recorder,
        conversation: list[Message],
        resumed: Resumed | None = None,
        *,
        tenant: str = "",
        revive: Reviver | None = None,
    ) -> FinishReport:
        """Hand a turn to the environment's runner and wait for it to finish.

        `conversation` is what the model has seen so far (with `resumed`, up to the last stored
        step); the hub keeps it, so the runner's steps carry only what is new. `work` is also what
        every model call's instruction, tools and settings come from; `tenant` names whose token
        quota each call counts against.

        With `resumed`, the turn was started by a previous process: its runner may still be in it
        (it retries its last request until this process answers) or may never have pulled it (the
        work is queued again; a runner that already finished it skips the copy). If the
        environment's runner stays silent for `runner_timeout_s`, `RunnerLost` is raised; before
        that, a silent runner's sandbox that no longer runs is started again by `revive` (its runner
        died with it, e.g. refused its claim after a restart) and the turn is queued again from the
        last answer, so the new runner carries on where the ledger stands and runs no call twice.

        Cancelling this coroutine asks the runner to stop (it polls) and waits a short grace for
        its `cancelled` report, so a cancelled interaction leaves no tool running; after `detach`
        (server shutdown) it leaves the runner alone, so the turn can resume in the next process.
        """
        running = _Running(
            environment_id,
            tenant,
            model,
            recorder,
            work,
            list(conversation),
            asyncio.get_running_loop().create_future(),
        )
        if resumed is not None:
            running.answers, running.reported = list(resumed.answers), set(resumed.reported)
            for answer in running.answers:
                _issue(running, answer)
        self._running[work.interaction_id] = running
        self._expected.discard(work.interaction_id)
        self._committed[work.interaction_id] = asyncio.Event()
        await self._queues[environment_id].put(work)
        try:
            return await self._wait_alive(running, revive)
        except asyncio.CancelledError:
            if not self._detached:
                running.cancel.set()
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(running.finished), _CANCEL_GRACE_S)
            raise
        finally:
            self._running.pop(work.interaction_id, None)

    async def _wait_alive(self, running: _Running, revive: Reviver | None) -> FinishReport:
        while True:
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(running.finished), self.runner_timeout_s / 4)
            heard = max(running.seen, self._heard.get(running.environment_id, 0.0))
            silent = time.monotonic() - heard
            if revive is not None and silent > self.runner_timeout_s / 4 and await revive():
                await self._requeue(running)
                continue
            if silent > self.runner_timeout_s:
                raise RunnerLost(
                    f"the sandbox's runner has not been heard from for {self.runner_timeout_s:.0f}s "
                    "(its sandbox was stopped or removed, or the runner is stuck)"
                )

    async def _requeue(self, running: _Running) -> None:
        """Queue the turn again for a new runner, from the last answer (`step` settles the rest)."""
        running.seen = time.monotonic()
        work = running.work.model_copy(update={"first_turn": len(running.answers)})
        await self._queues[running.environment_id].put(work)

    def expect(self, interaction_ids: Iterable[str]) -> None:
        """At start-up, before any channel opens: these turns will be resumed, so their runners'
        requests get "retry" (503) until `run` takes them up, never "unknown" (which stops them)."""
        self._expected.update(interaction_ids)

    def committed(self, interaction_id: str) -> None:
        """The interaction's final state is stored: release the runner's `finish` call."""
        self._expected.discard(interaction_id)
        event = self._committed.pop(interaction_id, None)
        if event is not None:
            event.set()

    def heard(self, environment_id: str) -> None:
        """The environment's runner made (or ended) a request: it is alive."""
        self._heard[environment_id] = time.monotonic()

    def detach(self) -> None:
        """Server shutdown: from now on, cancelling a turn leaves its runner running (resumable)."""
        self._detached = True

    def arm(self, environment_id: str, issue: Issuer) -> None:
        """The environment's sandbox is about to start: its runner may claim a credential, once."""
        self._claims[environment_id] = issue

    def disarm(self, environment_id: str) -> None:
        """The sandbox did not start after all: no claim is open."""
        self._claims.pop(environment_id, None)

    async def claim(self, environment_id: str) -> str | None:
        """The credential of the runner that asks first after `arm`; None for every later ask."""
        issue = self._claims.pop(environment_id, None)  # first claim wins: nothing awaited before
        return None if issue is None else await issue()

    def _turn(self, environment_id: str, interaction_id: str) -> _Running:
        running = self._running.get(interaction_id)
        if running is None and (self._detached or interaction_id in self._expected):
            raise ChannelBusy(f"interaction {interaction_id!r} is being resumed; retry")
        if running is None or running.environment_id != environment_id:
            raise ChannelError(f"interaction {interaction_id!r} is not running in this environment")
        running.seen = time.monotonic()
        return running

    async def next_work(self, environment_id: str, wait_s: float) -> WorkItem | None:
        """The next turn for this environment's runner, waiting up to `wait_s` seconds."""
        queue, closing = self._queues[environment_id], self._closing[environment_id]
        deadline = asyncio.get_running_loop().time() + wait_s
        while not closing.is_set():
            getter = asyncio.ensure_future(queue.get())
            closed = asyncio.ensure_future(closing.wait())
            remaining = max(0.0, deadline - asyncio.get_running_loop().time())
            await asyncio.wait({getter, closed}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            if not getter.done():
                getter.cancel()
                return None
            work = getter.result()
            running = self._running.get(work.interaction_id)
            if running is not None:  # skip turns cancelled while queued, or finished meanwhile
                running.seen = time.monotonic()
                return work
        return None

    def release(self, environment_id: str) -> None:
        """Wake the environment's long polls so its channel can close at once."""
        self._closing[environment_id].set()

    def reopen(self, environment_id: str) -> None:
        """Accept long polls for the environment again (its channel restarted)."""
        self._closing.pop(environment_id, None)

    async def step(self, environment_id: str, call: StepCall) -> ModelCallResult:
        """Record the last tool results, then make the next model call; stored before answering."""
        running = self._turn(environment_id, call.interaction_id)
        async with running.lock:  # a retried request must wait for the first to settle
            if call.context is not None and running.context is None:
                running.context = compose(running.work, call.context)
            if call.turn < len(running.answers):  # answered before the reply was lost: replay it
                return ModelCallResult(response=running.answers[call.turn], cancelled=running.cancel.is_set())
            if call.turn != len(running.answers):
                raise ChannelError(f"step {call.turn} out of order: expected step {len(running.answers)}")
            if running.context is None:
                return ModelCallResult(need_context=True)
            _check_issued(running, call.results)
            await self._record_results(running, call.results)
            if call.turn > 0:
                await self._record_results(running, _unknown_outcomes(running, call.turn - 1))
            if running.cancel.is_set():
                await _store(running)
                return ModelCallResult(cancelled=True)
            over = over_budget(
                running.work.budget, call.turn, running.started, running.recorder.usage.total_tokens
            ) or await self._over_quota(running)
            if over is not None:
                await _store(running)
                return ModelCallResult(error=over, ending="budget_exceeded")
            return await self._model_call(running)

    async def _over_quota(self, running: _Running) -> str | None:
        """Why the tenant's token quota allows no further model call, counting its running turns."""
        if self.quota is None:
            return None
        in_flight = sum(
            other.recorder.usage.total_tokens
            for other in self._running.values()
            if other.tenant == running.tenant
        )
        return await self.quota(running.tenant, in_flight)

    async def _model_call(self, running: _Running) -> ModelCallResult:
        context = running.context  # the orchestrator's, whatever the runner asked for
        assert context is not None
        request = ModelRequest.model_construct(  # parts are validated already: skip a re-validation
            system=context.system,
            messages=list(running.conversation),
            tools=context.tools,
            config=context.config,
        )
        try:
            provider = self.gateway.resolve(running.model)
            response = await running.recorder.model_turn(provider.stream(request))
        except GatewayError as exc:
            await running.recorder.step({"type": "model_output", "error": {"message": str(exc)}})
            await _store(running)
            return ModelCallResult(error=str(exc))
        await running.recorder.settle()  # the calls are stored before the runner may run them
        running.answers.append(response)
        _issue(running, response)
        running.conversation.append(Message(role="model", parts=list(response.parts)))
        return ModelCallResult(response=response, cancelled=running.cancel.is_set())

    async def _record_results(self, running: _Running, results: Iterable[ToolResultReport]) -> None:
        parts: list[ToolResultPart] = []
        for report in results:
            if report.call_id in running.reported:
                continue  # stored by an earlier attempt of this step
            running.reported.add(report.call_id)
            step = result_step(report.call_id, report.name, report.output, report.is_error, report.images)
            await running.recorder.step(step, flush=False)
            parts.append(
                ToolResultPart(
                    call_id=report.call_id,
                    name=report.name,
                    output=report.output,
                    images=report.images,
                    is_error=report.is_error,
                )
            )
        if parts:  # stored with the next model turn, or by `_store`
            running.conversation.append(Message(role="user", parts=list(parts)))

    async def finish(self, environment_id: str, report: FinishReport) -> Ack:
        """The runner's loop ended: record its last results, then wait until the ending is stored."""
        running = self._turn(environment_id, report.interaction_id)
        async with running.lock:
            _check_issued(running, report.results)
            await self._record_results(running, report.results)
            await _store(running)
        committed = self._committed.get(report.interaction_id)
        if not running.finished.done():
            running.finished.set_result(report)
        if committed is not None:  # ack only once the final status is stored: the runner retries
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(committed.wait(), _COMMIT_WAIT_S)
        return Ack()

    def control(self, environment_id: str, interaction_id: str) -> Control:
        """Whether the interaction was cancelled."""
        running = self._running.get(interaction_id)
        if running is None and (self._detached or interaction_id in self._expected):
            return Control(cancel=False)  # shutting down or resuming: the runner keeps working
        if running is None or running.environment_id != environment_id:
            return Control(cancel=True)  # unknown to us: the runner should stop working on it
        running.seen = time.monotonic()
        return Control(cancel=running.cancel.is_set())


def _issue(running: _Running, answer: ModelResponse) -> None:
    """Note the built-in tool calls of one of the model's answers: results may come for these."""
    client = set(running.work.client_tools)
    for part in answer.parts:
        if isinstance(part, ToolCallPart) and part.name not in client:
            running.issued[part.id] = part.name


def _check_issued(running: _Running, results: Iterable[ToolResultReport]) -> None:
    """Refuse results for calls the model never made (or under another tool's name)."""
    for index, report in enumerate(results):
        if running.issued.get(report.call_id) != report.name:
            raise ChannelError(
                f"results[{index}]: no tool call the model made in this turn has this call_id and name"
            )


def _unknown_outcomes(running: _Running, turn: int) -> list[ToolResultReport]:
    """Results for answer `turn`'s calls that no runner reported: a runner that restarted its loop.

    Such a call may have run (its result lost with the process that was told) or not; running it
    again could repeat a side effect, so it never is: the model learns the outcome is unknown.
    """
    if turn >= len(running.answers):
        return []
    return [
        ToolResultReport(
            interaction_id="",
            call_id=part.id,
            name=part.name,
            output=_UNKNOWN_OUTCOME,
            is_error=True,
        )
        for part in running.answers[turn].parts
        if isinstance(part, ToolCallPart) and part.id not in running.reported
    ]


async def _store(running: _Running) -> None:
    """Hand what is pending to the store and wait for the commit."""
    await running.recorder.flush()
    await running.recorder.settle()


def answers_of(conversation: Iterable[Message]) -> list[ModelResponse]:
    """The model's answers in a stored conversation, as responses a retried step can replay."""
    return [
        ModelResponse(parts=[p for p in message.parts if isinstance(p, _ANSWER_PARTS)])
        for message in conversation
        if message.role == "model"
    ]
