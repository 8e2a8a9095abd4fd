"""The orchestrator's side of the runner channel: work queues, model calls, results and cancels.

Each environment has a queue of turns for its runner. An agent interaction puts its `WorkItem` on
the queue and waits for the runner's `FinishReport`; meanwhile the runner's model calls go through
the gateway here (the sandbox never holds a model key) and its tool results are recorded as steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from agents.protocol import Ack, Control, FinishReport, ModelCall, ModelCallResult, ToolResultReport, WorkItem
from orchestrator.gateway.errors import GatewayError
from orchestrator.gateway.provider import ProviderRegistry
from orchestrator.interactions.history import result_step
from orchestrator.interactions.recorder import Recorder

__all__ = ["ChannelError", "RunnerHub"]

log = logging.getLogger("orchestrator.channel")
_CANCEL_GRACE_S = 5.0


class ChannelError(LookupError):
    """The runner named an interaction that is not running in its environment."""


@dataclass
class _Running:
    """A turn handed to a runner and not yet finished."""

    environment_id: str
    model: str
    recorder: Recorder
    finished: asyncio.Future[FinishReport]
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


class RunnerHub:
    """Queues turns per environment and serves the runner endpoints' logic."""

    def __init__(self, gateway: ProviderRegistry) -> None:
        self.gateway = gateway
        self._queues: defaultdict[str, asyncio.Queue[WorkItem]] = defaultdict(asyncio.Queue)
        self._running: dict[str, _Running] = {}
        self._closing: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def run(self, environment_id: str, model: str, work: WorkItem, recorder: Recorder) -> FinishReport:
        """Hand a turn to the environment's runner and wait for it to finish.

        Cancelling this coroutine asks the runner to stop (it polls) and waits a short grace for
        its `cancelled` report, so a cancelled interaction leaves no tool running.
        """
        running = _Running(environment_id, model, recorder, asyncio.get_running_loop().create_future())
        self._running[work.interaction_id] = running
        await self._queues[environment_id].put(work)
        try:
            return await asyncio.shield(running.finished)
        except asyncio.CancelledError:
            running.cancel.set()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(running.finished), _CANCEL_GRACE_S)
            raise
        finally:
            self._running.pop(work.interaction_id, None)

    def _turn(self, environment_id: str, interaction_id: str) -> _Running:
        running = self._running.get(interaction_id)
        if running is None or running.environment_id != environment_id:
            raise ChannelError(f"interaction {interaction_id!r} is not running in this environment")
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
            if work.interaction_id in self._running:  # skip turns cancelled while queued
                return work
        return None

    def release(self, environment_id: str) -> None:
        """Wake the environment's long polls so its channel can close at once."""
        self._closing[environment_id].set()

    def reopen(self, environment_id: str) -> None:
        """Accept long polls for the environment again (its channel restarted)."""
        self._closing.pop(environment_id, None)

    async def model_call(self, environment_id: str, call: ModelCall) -> ModelCallResult:
        """One model turn through the gateway, recorded as steps with live deltas."""
        running = self._turn(environment_id, call.interaction_id)
        if running.cancel.is_set():
            return ModelCallResult(cancelled=True)
        try:
            provider = self.gateway.resolve(running.model)
            response = await running.recorder.model_turn(provider.stream(call.request))
        except GatewayError as exc:
            await running.recorder.step({"type": "model_output", "error": {"message": str(exc)}})
            return ModelCallResult(error=str(exc))
        return ModelCallResult(response=response, cancelled=running.cancel.is_set())

    async def tool_result(self, environment_id: str, report: ToolResultReport) -> Ack:
        """Record a built-in tool's result step."""
        running = self._turn(environment_id, report.interaction_id)
        step = result_step(report.call_id, report.name, report.output, report.is_error, report.images)
        await running.recorder.step(step)
        return Ack(cancelled=running.cancel.is_set())

    async def finish(self, environment_id: str, report: FinishReport) -> Ack:
        """The runner's loop ended for an interaction."""
        running = self._turn(environment_id, report.interaction_id)
        if not running.finished.done():
            running.finished.set_result(report)
        return Ack()

    def control(self, environment_id: str, interaction_id: str) -> Control:
        """Whether the interaction was cancelled."""
        running = self._running.get(interaction_id)
        if running is None or running.environment_id != environment_id:
            return Control(cancel=True)  # unknown to us: the runner should stop working on it
        return Control(cancel=running.cancel.is_set())
