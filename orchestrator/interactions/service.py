"""Interactions: accept, run (through the scheduler), read, stream, cancel and delete.

A model-form interaction runs here, in the orchestrator: one model turn through the gateway, pausing
as `requires_action` when the model calls a client function. An agent-form interaction runs in its
environment's sandbox through the runner (`AgentRunner`), with the same recorder and events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

from agents.model_types import GenerationConfig, ModelRequest, ToolCallPart, ToolDeclaration, Usage
from orchestrator.errors import InvalidArgument, NotFound
from orchestrator.gateway.errors import GatewayError, UnknownProviderError
from orchestrator.gateway.provider import ProviderRegistry
from orchestrator.interactions.history import input_steps, to_messages
from orchestrator.interactions.live import Event, LiveLog, LiveLogs
from orchestrator.interactions.recorder import Persist, Recorder
from orchestrator.interactions.snapshot import TERMINAL, neutral_usage, snapshot, wire_usage
from orchestrator.interactions.usage import UsageMeter
from orchestrator.interactions.ending import fail_interaction
from orchestrator.scheduler import Admission, Scheduler
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionCreate, InteractionRecord
from orchestrator.store.models import utcnow

__all__ = ["AgentRunner", "InteractionService"]

log = logging.getLogger("orchestrator.interactions")
Step = dict[str, Any]
_MAX_HISTORY_DEPTH = 200
_MAX_ANSWERS = 1024


class AgentRunner(Protocol):
    """Runs an agent-form interaction in a sandbox (the runner channel implements it)."""

    async def prepare(self, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
        """At create time: resolve the agent and choose the environment (`environment_id`)."""
        ...

    async def close(self) -> None:
        """Release channels (server shutdown)."""
        ...

    async def run(
        self, tenant: str, record: InteractionRecord, recorder: Recorder, history: list[dict[str, Any]]
    ) -> tuple[str, list[dict[str, str]] | None]:
        """Drive the interaction to its end; returns the final status and any errors."""
        ...

    async def resume(
        self, tenant: str, record: InteractionRecord, recorder: Recorder, history: list[dict[str, Any]]
    ) -> tuple[str, list[dict[str, str]] | None]:
        """Carry on, from its stored steps, an interaction a previous process started."""
        ...

    async def committed(self, interaction_id: str) -> None:
        """The interaction's ending is stored."""
        ...

    def expect(self, interaction_ids: list[str]) -> None:
        """At start-up, before any channel opens: these interactions will be resumed."""
        ...

    def detach(self) -> None:
        """Server shutdown: stop waiting for runners without cancelling their work."""
        ...


class InteractionService:
    """Everything the interaction routes do, independent of HTTP."""

    def __init__(
        self,
        store: Store,
        gateway: ProviderRegistry,
        scheduler: Scheduler,
        logs: LiveLogs | None = None,
        agent_runner: AgentRunner | None = None,
        usage: UsageMeter | None = None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.scheduler = scheduler
        self.logs = logs or LiveLogs()
        self.agent_runner = agent_runner
        self.usage = usage or UsageMeter(store)
        self._answers: dict[str, dict[str, Any]] = {}  # finished snapshots for foreground waiters
        self._detached = False  # shutting down: a cancelled run is left unfinished, to be resumed

    # ---- create -------------------------------------------------------------------------------

    async def create(
        self, tenant: str, request: dict[str, Any], api_key_id: str | None = None
    ) -> InteractionRecord:
        """Validate references, store the interaction with its input, and queue it.

        Raises:
            QueueFullError: the tenant's queue is full; checked first, so nothing is stored.
        """
        with self.scheduler.admit(tenant) as admission:
            return await self._create(tenant, request, api_key_id, admission)

    async def _create(
        self, tenant: str, request: dict[str, Any], api_key_id: str | None, admission: Admission
    ) -> InteractionRecord:
        steps = input_steps(request.get("input"))
        previous = await self._previous(tenant, request.get("previous_interaction_id"))
        if previous is not None:
            await self._check_results(tenant, previous, steps)
        environment_id = previous.environment_id if previous else None
        if request.get("model"):
            try:
                self.gateway.resolve(request["model"])
            except UnknownProviderError as exc:
                raise InvalidArgument(str(exc), field="model") from exc
        else:
            if self.agent_runner is None:
                raise InvalidArgument(
                    "agent interactions need a sandbox backend; this server has none", field="agent"
                )
            resolved = await self.agent_runner.prepare(tenant, {**request, "environment_id": environment_id})
            environment_id = resolved.get("environment_id", environment_id)
        record = await self.store.interactions.create(
            tenant,
            InteractionCreate(
                request=request,
                agent=request.get("agent"),
                model=request.get("model"),
                environment_id=environment_id,
                previous_interaction_id=request.get("previous_interaction_id"),
                api_key_id=api_key_id,
                steps=steps,
            ),
        )
        live = self.logs.open(record.id)
        await live.append("interaction.created", interaction=snapshot(record))
        await live.append("interaction.status_update", interaction_id=record.id, status="in_progress")
        recorder = Recorder(live, self._persister(tenant, record.id), first_index=len(steps), inputs=steps)
        self.scheduler.submit(
            tenant,
            record.id,
            lambda: self._run(tenant, record, recorder),
            admission,
            cancelled=lambda: self._cancelled_in_queue(tenant, record, recorder),
        )
        return record

    async def _previous(self, tenant: str, previous_id: str | None) -> InteractionRecord | None:
        if not previous_id:
            return None
        previous = await self.store.interactions.get(tenant, previous_id)
        if previous is None:
            raise NotFound(f"no interaction {previous_id!r}", field="previous_interaction_id")
        if previous.status not in TERMINAL:
            raise InvalidArgument(
                f"interaction {previous_id!r} is still {previous.status}", field="previous_interaction_id"
            )
        return previous

    async def _check_results(self, tenant: str, previous: InteractionRecord, steps: list[Step]) -> None:
        """Every `function_result` must answer a call the previous interaction left pending."""
        pending = set()
        if previous.status == "requires_action":
            answered = set()
            for step in await self._steps(tenant, previous.id):
                if step.get("type") == "function_call":
                    pending.add(step["id"])
                elif step.get("type") == "function_result":
                    answered.add(step.get("call_id"))
            pending -= answered
        for index, step in enumerate(steps):
            if step.get("type") == "function_result" and step.get("call_id") not in pending:
                raise InvalidArgument(
                    f"no pending function call {step.get('call_id')!r} in interaction {previous.id!r}",
                    field=f"input[{index}].call_id",
                )

    def _persister(self, tenant: str, interaction_id: str) -> Persist:
        async def persist(steps: list[Step], events: list[Event], usage: Usage | None) -> None:
            change = None if usage is None else {"usage": wire_usage(usage)}
            await self.store.steps.append_batch(tenant, interaction_id, steps, events, interaction=change)

        return persist

    # ---- run ----------------------------------------------------------------------------------

    async def _run(
        self, tenant: str, record: InteractionRecord, recorder: Recorder, resume: bool = False
    ) -> None:
        status, errors = "failed", None
        try:
            history = await self._history(tenant, record, [*recorder.inputs, *recorder.steps])
            if record.model:
                status = await self._run_model(record, recorder, history)
            else:
                assert self.agent_runner is not None
                drive = self.agent_runner.resume if resume else self.agent_runner.run
                status, errors = await drive(tenant, record, recorder, history)
        except asyncio.CancelledError:
            if self._detached:
                raise  # left `in_progress`: the next process resumes or ends it
            status = "cancelled"
        except GatewayError as exc:
            errors = [{"code": "model_error", "message": str(exc)}]
            await recorder.step({"type": "model_output", "error": {"message": str(exc)}})
        except Exception as exc:
            log.exception("interaction %s crashed", record.id)
            errors = [{"code": "internal", "message": f"internal error ({type(exc).__name__})"}]
        await self._finish(tenant, record, recorder, status, errors)

    async def _cancelled_in_queue(self, tenant: str, record: InteractionRecord, recorder: Recorder) -> None:
        """Cancelled (or deleted) while it waited for a slot: it ends `cancelled` like a running one;
        at shutdown it stays `in_progress` for the next process."""
        if not self._detached:
            await self._finish(tenant, record, recorder, "cancelled", None)

    async def _history(self, tenant: str, record: InteractionRecord, inputs: list[Step]) -> list[Step]:
        """This interaction's input after the steps of every interaction it continues, oldest first."""
        chain: list[list[Step]] = [inputs]
        previous_id = record.previous_interaction_id
        for _ in range(_MAX_HISTORY_DEPTH):
            if not previous_id:
                break
            previous = await self.store.interactions.get(tenant, previous_id)
            if previous is None:
                break
            chain.append(await self._steps(tenant, previous.id))
            previous_id = previous.previous_interaction_id
        return [step for steps in reversed(chain) for step in steps]

    async def _steps(self, tenant: str, interaction_id: str) -> list[Step]:
        return [row.payload for row in await self.store.steps.list_steps(tenant, interaction_id)]

    async def _run_model(self, record: InteractionRecord, recorder: Recorder, history: list[Step]) -> str:
        request = record.request
        functions = [t for t in request.get("tools") or [] if t.get("type") == "function"]
        config = request.get("generation_config") or {}
        model_request = ModelRequest(
            system=request.get("system_instruction"),
            messages=to_messages(history),
            tools=[
                ToolDeclaration(
                    name=t["name"],
                    description=t.get("description", ""),
                    parameters=t.get("parameters") or {"type": "object"},
                )
                for t in functions
            ],
            config=GenerationConfig(
                temperature=config.get("temperature"),
                max_output_tokens=config.get("max_output_tokens"),
                top_p=config.get("top_p"),
                stop=config.get("stop_sequences") or [],
            ),
        )
        provider = self.gateway.resolve(str(record.model))
        # `_finish` follows at once and stores the turn with the final status, in one transaction.
        response = await recorder.model_turn(provider.stream(model_request), flush=False)
        if any(isinstance(part, ToolCallPart) for part in response.parts):
            return "requires_action"
        return "incomplete" if response.finish_reason == "max_tokens" else "completed"

    async def _finish(
        self,
        tenant: str,
        record: InteractionRecord,
        recorder: Recorder,
        status: str,
        errors: list[dict[str, str]] | None,
    ) -> None:
        """Store the last steps and events with the final status and usage, in one transaction."""
        usage = wire_usage(recorder.usage)
        change: dict[str, Any] = {"status": status, "usage": usage}
        if errors:
            change["errors"] = errors
        final = record.model_copy(update={**change, "updated": utcnow()})
        await recorder.event(
            "interaction.status_update", interaction_id=record.id, status=status, usage=usage
        )
        await recorder.event("interaction.completed", interaction=snapshot(final))
        await recorder.settle()  # earlier batches first: the final one must follow them
        steps, events = recorder.drain()
        await asyncio.shield(
            self.store.steps.append_batch(tenant, record.id, steps, events, interaction=change)
        )
        if self.agent_runner is not None and record.agent:
            await self.agent_runner.committed(record.id)
        self.usage.add(tenant, record.api_key_id, usage)
        if len(self._answers) >= _MAX_ANSWERS:  # nobody waited for the oldest: forget it
            self._answers.pop(next(iter(self._answers)))
        self._answers[record.id] = snapshot(final, [*recorder.inputs, *recorder.steps])

    # ---- restart and shutdown -----------------------------------------------------------------

    async def recover(self) -> tuple[int, int]:
        """At start-up: resume what a previous process left running, end the rest `failed`.

        Every agent interaction is resumed in its environment: a runner still in the turn retries its
        last request until this process answers; a sandbox that stopped or was never started (the
        process died while making it) is started again and its new runner picks the turn up from
        the stored steps, where calls that may have run get an "interrupted, not run again" result.
        A model-form interaction cannot resume (its call is gone) and ends `failed` with a clear
        error. Returns (resumed, failed).
        """
        runner, resumable, failed = self.agent_runner, [], 0
        for record in await self.store.interactions.unfinished():
            if record.agent and runner is not None and record.environment_id is not None:
                resumable.append(record)
            else:
                await fail_interaction(self.store, record)
                failed += 1
        if runner is not None:
            runner.expect([record.id for record in resumable])
        for record in resumable:
            await self._resume(record)
        resumed = len(resumable)
        if resumed or failed:
            log.warning("left by the previous process: %d interactions resumed, %d failed", resumed, failed)
        return resumed, failed

    async def _resume(self, record: InteractionRecord) -> None:
        tenant = record.tenant
        stored = await self._steps(tenant, record.id)
        inputs = len(input_steps(record.request.get("input")))
        events = [row.payload for row in await self.store.steps.events_after(tenant, record.id, -1)]
        live = self.logs.open(record.id, stored=events)
        recorder = Recorder(live, self._persister(tenant, record.id), len(stored), inputs=stored[:inputs])
        recorder.steps = stored[inputs:]
        recorder.usage = neutral_usage(record.usage)  # the previous process's model turns count too
        self.scheduler.submit(
            tenant,
            record.id,
            lambda: self._run(tenant, record, recorder, resume=True),
            cancelled=lambda: self._cancelled_in_queue(tenant, record, recorder),
        )

    async def shutdown(self, grace_s: float) -> None:
        """SIGTERM: let running interactions finish for `grace_s` seconds, then leave the rest.

        What is left stays `in_progress` with every step so far stored; agent interactions keep
        running in their sandboxes and resume when the server starts again (`recover`).
        """
        await self.scheduler.drain(grace_s)
        self._detached = True
        if self.agent_runner is not None:
            self.agent_runner.detach()
        await self.scheduler.shutdown()

    # ---- read ---------------------------------------------------------------------------------

    async def get(self, tenant: str, interaction_id: str, include_input: bool = False) -> dict[str, Any]:
        """The stored interaction with its steps."""
        record = await self._record(tenant, interaction_id)
        return snapshot(record, await self._steps(tenant, interaction_id), include_input)

    async def _record(self, tenant: str, interaction_id: str) -> InteractionRecord:
        record = await self.store.interactions.get(tenant, interaction_id)
        if record is None:
            raise NotFound(f"interaction {interaction_id!r} not found")
        return record

    async def wait(self, tenant: str, interaction_id: str) -> dict[str, Any]:
        """Wait for the interaction to end, then return it (foreground `create`)."""
        await self.scheduler.wait(interaction_id)
        answer = self._answers.pop(interaction_id, None)  # built in `_finish`: no read-back
        return answer if answer is not None else await self.get(tenant, interaction_id)

    async def events(self, tenant: str, interaction_id: str, after: int = -1) -> AsyncIterator[Event | None]:
        """The SSE events after `after`: live while running, from the store once finished."""
        await self._record(tenant, interaction_id)
        live = self.logs.get(interaction_id)
        if live is not None:
            async for event in live.follow(after):
                yield event
            return
        for row in await self.store.steps.events_after(tenant, interaction_id, after):
            yield row.payload

    def live(self, interaction_id: str) -> LiveLog | None:
        """The live log of a running (or just finished) interaction."""
        return self.logs.get(interaction_id)

    # ---- cancel / delete ----------------------------------------------------------------------

    async def cancel(self, tenant: str, interaction_id: str) -> dict[str, Any]:
        """Stop a running interaction; a finished one is returned unchanged."""
        record = await self._record(tenant, interaction_id)
        if record.status not in TERMINAL:
            await self.scheduler.cancel(interaction_id)
        return await self.get(tenant, interaction_id)

    async def delete(self, tenant: str, interaction_id: str) -> None:
        """Cancel if running, then delete with its steps and events."""
        await self._record(tenant, interaction_id)
        await self.scheduler.cancel(interaction_id)
        await self.store.interactions.delete(tenant, interaction_id)
        self.logs.drop(interaction_id)
