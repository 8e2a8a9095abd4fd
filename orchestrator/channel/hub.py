"""The orchestrator's side of the runner channel: hands turns to runners and waits for them.

Each environment has a queue of turns for its runner (`channel.queues`). An agent interaction puts
its `WorkItem` on the queue and waits for the runner's `FinishReport`; meanwhile each of the
runner's steps (`channel.steps`: the last tool results, then the next model call through the
gateway, since the sandbox never holds a model key) is recorded and stored *before* the answer
goes back (`channel.ledger`), so a step retried after a restart is answered from what was stored.
The orchestrator, not the sandbox, enforces the budgets and the tenant's token quota before every
model call. Each sandbox start arms one claim of the runner's credential (`channel.claims`).

This module hands a turn over and waits for it: it notices a silent runner (revive it, or give
up), turns a cancel into a request the runner sees on its next control poll, and holds the runner's
`finish` until the ending is stored. Which turns run here is `channel.turns`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

from agents.model_types import Message
from agents.protocol import Ack, Control, FinishReport, ModelCallResult, Park, StepCall, WorkItem
from orchestrator.channel.approval_step import approval_step
from orchestrator.channel.claims import Claims
from orchestrator.channel.errors import RunnerLost
from orchestrator.channel.frames import FrameBoard
from orchestrator.channel.ledger import (
    check_issued,
    issue,
    issue_carried,
    record_results,
    store,
    waiting_call,
)
from orchestrator.channel.ports import Issuer, QuotaCheck, Reviver, ServerTools, TurnRecorder, Verdict
from orchestrator.channel.queues import WorkQueues
from orchestrator.channel.steps import take_step
from orchestrator.channel.turn import Resumed, Turn
from orchestrator.channel.turns import TurnTable
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.observability import tracing

__all__ = ["RunnerHub"]

_CANCEL_GRACE_S = 5.0
_COMMIT_WAIT_S = 30.0
_ANNOUNCED_S = 2.0
"""How long after `announce` a warm-pool runner's assignment may wait for the announced turn."""


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
        self._claims = Claims()
        self._queues = WorkQueues()
        self._turns = TurnTable()
        self._heard: dict[str, float] = {}  # environment id -> when its runner last asked anything
        self._announced: dict[str, float] = {}  # environment id -> until when its turn is expected
        self.frames = FrameBoard()
        """The latest frame of each watched environment's browser page (`channel.frames`)."""

    async def run(
        self,
        environment_id: str,
        model: str,
        work: WorkItem,
        recorder: TurnRecorder,
        conversation: list[Message],
        resumed: Resumed | None = None,
        *,
        tenant: str = "",
        revive: Reviver | None = None,
        verdict: Verdict | None = None,
        server_tools: ServerTools | None = None,
    ) -> FinishReport:
        """Hand a turn to the environment's runner and wait for it to finish.

        `conversation` is what the model has seen so far (with `resumed`, up to the last stored
        step); the hub keeps it, so the runner's steps carry only what is new. `work` is also what
        every model call's instruction, tools and settings come from; `tenant` names whose token
        quota each call counts against. `server_tools` (an agent's `mcp_server` tools) are offered
        to the model with the runner's and run here (`channel.steps`).

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
        finished = asyncio.get_running_loop().create_future()
        turn = Turn(environment_id, tenant, model, recorder, work, list(conversation), finished)
        turn.verdict = verdict
        turn.server_tools = server_tools
        if resumed is not None:
            turn.answers, turn.reported = list(resumed.answers), set(resumed.reported)
            for answer in turn.answers:
                issue(turn, answer)
        issue_carried(turn)
        self._turns.open(turn)
        await self._queues.put(environment_id, work)
        self._announced.pop(environment_id, None)
        try:
            return await self._wait_alive(turn, revive)
        except asyncio.CancelledError:
            if not self._turns.detached:
                turn.cancel.set()
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(turn.finished), _CANCEL_GRACE_S)
            raise
        finally:
            self._turns.close(work.interaction_id)

    async def _wait_alive(self, turn: Turn, revive: Reviver | None) -> FinishReport:
        while True:
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(turn.finished), self.runner_timeout_s / 4)
            heard = max(turn.seen, self._heard.get(turn.environment_id, 0.0))
            silent = time.monotonic() - heard
            if revive is not None and silent > self.runner_timeout_s / 4 and await revive():
                await self._requeue(turn)
                continue
            if silent > self.runner_timeout_s:
                raise RunnerLost(
                    f"the sandbox's runner has not been heard from for {self.runner_timeout_s:.0f}s "
                    "(its sandbox was stopped or removed, or the runner is stuck)"
                )

    async def _requeue(self, turn: Turn) -> None:
        """Queue the turn again for a new runner, from the last answer (`step` settles the rest)."""
        turn.seen = time.monotonic()
        work = turn.work.model_copy(update={"first_turn": len(turn.answers), "carried": []})
        await self._queues.put(turn.environment_id, work)

    def expect(self, interaction_ids: Iterable[str]) -> None:
        """At start-up, before any channel opens: these turns will be resumed, so their runners'
        requests get "retry" (503) until `run` takes them up, never "unknown" (which stops them)."""
        self._turns.expect(interaction_ids)

    def committed(self, interaction_id: str) -> None:
        """The interaction's final state is stored: release the runner's `finish` call."""
        self._turns.commit(interaction_id)

    def heard(self, environment_id: str) -> None:
        """The environment's runner made (or ended) a request: it is alive."""
        self._heard[environment_id] = time.monotonic()

    def detach(self) -> None:
        """Server shutdown: from now on, cancelling a turn leaves its runner running (resumable)."""
        self._turns.detached = True

    def arm(self, environment_id: str, issue: Issuer) -> None:
        """The environment's sandbox is about to start: its runner may claim a credential, once."""
        self._claims.arm(environment_id, issue)

    def disarm(self, environment_id: str) -> None:
        """The sandbox did not start after all: no claim is open."""
        self._claims.disarm(environment_id)

    async def claim(self, environment_id: str) -> str | None:
        """The credential of the runner that asks first after `arm`; None for every later ask."""
        return await self._claims.claim(environment_id)

    async def next_work(self, environment_id: str, wait_s: float) -> WorkItem | Park | None:
        """The next turn for this environment's runner (or an order to park), waiting up to
        `wait_s` seconds."""
        return await self._queues.next(environment_id, wait_s, self._turns.take)

    def announce(self, environment_id: str) -> None:
        """A turn for the environment follows once its sandbox is there (`run`): a warm-pool runner
        given the environment meanwhile gets the turn with its assignment (`first_work`), one round
        trip through the sandbox fewer on a warm start's path."""
        now = time.monotonic()
        self._announced = {key: until for key, until in self._announced.items() if until > now}
        self._announced[environment_id] = now + _ANNOUNCED_S

    async def first_work(self, environment_id: str, wait_s: float) -> WorkItem | None:
        """The turn for a warm-pool runner's assignment: waits (at most `wait_s` seconds) only while
        an `announce`d turn is still to come, else takes only one queued already."""
        until = self._announced.pop(environment_id, None)
        wait = 0.0 if until is None else min(wait_s, until - time.monotonic())
        return await self._queues.first(environment_id, max(wait, 0.0), self._turns.take)

    def park(self, environment_id: str) -> asyncio.Event:
        """Order the idle environment's runner off the channel before its sandbox is paused with its
        memory; the event is set once the runner took the order."""
        return self._queues.park(environment_id)

    def release(self, environment_id: str) -> None:
        """Wake the environment's long polls so its channel can close at once."""
        self._queues.release(environment_id)

    def reopen(self, environment_id: str) -> None:
        """Accept long polls for the environment again (its channel restarted)."""
        self._queues.reopen(environment_id)

    async def step(self, environment_id: str, call: StepCall) -> ModelCallResult:
        """Record the last tool results, then make the next model call; stored before answering."""
        return await take_step(
            self._turns.find(environment_id, call.interaction_id), call, self.gateway, self._over_quota
        )

    async def _over_quota(self, turn: Turn) -> str | None:
        """Why the tenant's token quota allows no further model call, counting its running turns."""
        if self.quota is None:
            return None
        return await self.quota(turn.tenant, self._turns.tokens_of(turn.tenant))

    async def finish(self, environment_id: str, report: FinishReport) -> Ack:
        """The runner's loop ended: record its last results, then wait until the ending is stored."""
        turn = self._turns.find(environment_id, report.interaction_id)
        async with turn.lock:
            check_issued(turn, report.results)
            waiting = None if report.approval is None else waiting_call(turn, report)
            await record_results(turn, report.results)
            if waiting is not None and report.approval is not None:  # stored last: what the client answers
                await turn.recorder.step(approval_step(waiting, report.approval.reason), flush=False)
            await store(turn)
        committed = self._turns.committed(report.interaction_id)
        if not turn.finished.done():
            turn.finished.set_result(report)
        if committed is not None:  # ack only once the final status is stored: the runner retries
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(committed.wait(), _COMMIT_WAIT_S)
        return Ack()

    def control(self, environment_id: str, interaction_id: str) -> Control:
        """Whether the interaction was cancelled."""
        return self._turns.control(environment_id, interaction_id)

    def trace_of(self, environment_id: str) -> tracing.Context | None:
        """The trace of the turn running in the environment (its egress requests join it), or None."""
        turns = self._turns.running.values()
        return next((turn.trace for turn in turns if turn.environment_id == environment_id), None)
