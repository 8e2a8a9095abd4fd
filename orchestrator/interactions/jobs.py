"""Running an interaction as a scheduler job, whatever its form, and turning any failure into its ending.

A job runs the model turn here (model form) or hands the turn to the `AgentRunner` (agent form),
with the conversation it continues. A gateway error, a crash or a cancel becomes the final status
and errors, and the job always ends through `Finisher`. At shutdown the jobs are detached: a run
cancelled then stays `in_progress` (every step so far stored), for the next process to resume.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from agents.model_types import Usage
from orchestrator.gateway.errors import GatewayError
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.interactions.code_ports import CodeSandboxes
from orchestrator.interactions.finish import Finisher
from orchestrator.interactions.live import Event, LiveLog
from orchestrator.interactions.model_form import run_model_turn
from orchestrator.interactions.ports import AgentRunner, PreparedAgent
from orchestrator.interactions.recorder import Recorder
from orchestrator.interactions.snapshot import wire_usage
from orchestrator.interactions.step_reads import conversation
from orchestrator.interactions.web_tools import WebTools
from orchestrator.mcp_tools import McpClient, McpError
from orchestrator.observability import logs, tracing
from orchestrator.scheduler import Admission, Scheduler, applied_tier
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionRecord

__all__ = ["InteractionJobs"]

log = logging.getLogger("orchestrator.interactions")
Step = dict[str, Any]


class InteractionJobs:
    """Submits interactions to the scheduler and runs each to its stored ending."""

    def __init__(
        self,
        store: Store,
        gateway: ProviderRegistry,
        scheduler: Scheduler,
        agent_runner: AgentRunner | None,
        finisher: Finisher,
        code: CodeSandboxes | None = None,
        web: WebTools | None = None,
        mcp: McpClient | None = None,
    ) -> None:
        self._store = store
        self._mcp = mcp  # lists and calls its `mcp_server` tools
        self._code = code  # runs the model form's `code_execution` calls
        self._web = web  # runs its `url_context` / `google_search` calls
        self._gateway = gateway
        self._scheduler = scheduler
        self._agent_runner = agent_runner
        self._finisher = finisher
        self._detached = False  # shutting down: a cancelled run is left unfinished, to be resumed

    def recorder(
        self, live: LiveLog, tenant: str, interaction_id: str, first_index: int, inputs: list[Step]
    ) -> Recorder:
        """A recorder that stores the interaction's batches; its next step is number `first_index`."""

        async def persist(steps: list[Step], events: list[Event], usage: Usage | None) -> None:
            change = None if usage is None else {"usage": wire_usage(usage)}
            await self._store.steps.append_batch(tenant, interaction_id, steps, events, interaction=change)

        return Recorder(live, persist, first_index, inputs=inputs)

    def submit(
        self,
        tenant: str,
        record: InteractionRecord,
        recorder: Recorder,
        admission: Admission | None = None,
        *,
        prepared: PreparedAgent | None = None,
        resume: bool = False,
    ) -> None:
        """Queue the interaction's run in its service tier (an agent's as `prepared` at create time);
        `resume` carries on one a previous process started."""
        trace = tracing.InteractionTrace(record.id)  # a child of the request's span, when traced
        self._scheduler.submit(
            tenant,
            record.id,
            lambda: self._run(tenant, record, recorder, prepared, resume, trace),
            admission,
            cancelled=lambda: self._cancelled_in_queue(tenant, record, recorder, trace),
            tier=applied_tier(record.request),
        )

    async def shutdown(self, grace_s: float) -> None:
        """Let running jobs finish for `grace_s` seconds, then detach: the rest stay `in_progress`."""
        await self._scheduler.drain(grace_s)
        self._detached = True
        if self._agent_runner is not None:
            self._agent_runner.detach()
        await self._scheduler.shutdown()

    async def _run(
        self,
        tenant: str,
        record: InteractionRecord,
        recorder: Recorder,
        prepared: PreparedAgent | None,
        resume: bool,
        trace: tracing.InteractionTrace,
    ) -> None:
        trace.dequeued()
        logs.INTERACTION_ID.set(record.id)  # this job's own task: its log lines carry the id
        with tracing.attached(trace.context):
            status, errors = await self._run_traced(tenant, record, recorder, prepared, resume)
        await self._finisher.finish(tenant, record, recorder, status, errors)
        trace.end(status)
        log.info("interaction ended %s", status)  # with its ids, in the JSON log

    async def _run_traced(
        self,
        tenant: str,
        record: InteractionRecord,
        recorder: Recorder,
        prepared: PreparedAgent | None,
        resume: bool,
    ) -> tuple[str, list[dict[str, str]] | None]:
        status: str = "failed"
        errors: list[dict[str, str]] | None = None
        try:
            history = await conversation(self._store, tenant, record, [*recorder.inputs, *recorder.steps])
            if record.model:
                status = await run_model_turn(
                    self._gateway, record, recorder, history, self._code, self._web, self._mcp
                )
            else:
                assert self._agent_runner is not None
                if resume:
                    status, errors = await self._agent_runner.resume(tenant, record, recorder, history)
                else:
                    assert prepared is not None  # every agent interaction is prepared when created
                    status, errors = await self._agent_runner.run(tenant, record, recorder, history, prepared)
        except asyncio.CancelledError:
            if self._detached:
                raise  # left `in_progress`: the next process resumes or ends it
            status, errors = "cancelled", [{"code": "cancelled", "message": "the interaction was cancelled"}]
        except GatewayError as exc:
            errors = [{"code": exc.code, "message": str(exc)}]  # model_error, invalid_structured_output
            await recorder.step({"type": "model_output", "error": {"message": str(exc)}})
        except McpError as exc:  # an `mcp_server` tool's server could not be listed (model form)
            errors = [{"code": "mcp_server_error", "message": str(exc)}]
        except Exception as exc:
            log.exception("interaction %s crashed", record.id)
            errors = [{"code": "api_error", "message": f"internal error ({type(exc).__name__})"}]
        return status, errors

    async def _cancelled_in_queue(
        self, tenant: str, record: InteractionRecord, recorder: Recorder, trace: tracing.InteractionTrace
    ) -> None:
        """Cancelled (or deleted) while it waited for a slot: it ends `cancelled` like a running one;
        at shutdown it stays `in_progress` for the next process."""
        trace.dequeued()
        if not self._detached:
            await self._finisher.finish(tenant, record, recorder, "cancelled", None)
            trace.end("cancelled")
