"""Interactions: the one entry point the API uses to create, read, stream, cancel and delete them.

A model-form interaction runs here, in the orchestrator: one model turn through the gateway, pausing
as `requires_action` when the model calls a client function. An agent-form interaction runs in its
environment's sandbox through the runner (`AgentRunner`), with the same recorder and events. This
class only composes the rooms that do the work: `intake` (checks and resolves a create request),
`jobs` (runs it through the scheduler), `finish` (stores its ending), `recovery` (start-up) and
`step_reads` (paged reads of the stored log).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from orchestrator.errors import NotFound
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.interactions.code_ports import CodeSandboxes
from orchestrator.interactions.continuations import Continuations
from orchestrator.interactions.finish import Finisher, InteractionEvents
from orchestrator.interactions.intake import Intake
from orchestrator.interactions.jobs import InteractionJobs
from orchestrator.interactions.live import Event, LiveLog, LiveLogs
from orchestrator.interactions.ports import AgentRunner
from orchestrator.interactions.recovery import recover
from orchestrator.interactions.refusals import ModelBuiltins
from orchestrator.interactions.remote_cancel import cancel_elsewhere
from orchestrator.interactions.replica import Replica
from orchestrator.interactions.snapshot import TERMINAL, snapshot
from orchestrator.interactions.step_reads import all_steps
from orchestrator.interactions.stored_follow import follow_stored
from orchestrator.interactions.usage import UsageMeter
from orchestrator.interactions.web_tools import WebTools
from orchestrator.mcp_tools import McpClient
from orchestrator.scheduler import Scheduler
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionRecord

__all__ = ["InteractionService"]


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
        events: InteractionEvents | None = None,
        code: CodeSandboxes | None = None,
        web: WebTools | None = None,
        mcp: McpClient | None = None,
        replica: Replica | None = None,
    ) -> None:
        self.store = store
        self.replica = replica
        """This process among the replicas on a shared PostgreSQL (leases); None: it owns everything."""
        self.mcp = mcp
        """Connects to `mcp_server` tools' servers; None: such tools are refused at create."""
        self.gateway = gateway
        self.scheduler = scheduler
        self.logs = logs or LiveLogs()
        self.agent_runner = agent_runner
        self.usage = usage or UsageMeter(store)
        resolver = mcp.resolver if mcp is not None else None
        self._intake = Intake(store, gateway, agent_runner, _builtins(code, web), events, resolver)
        self._events = events
        self._finisher = Finisher(store, agent_runner, self.usage, events, replica)
        self._jobs = InteractionJobs(store, gateway, scheduler, agent_runner, self._finisher, code, web, mcp)
        self._continuations = Continuations()

    async def create(
        self, tenant: str, request: dict[str, Any], api_key_id: str | None = None
    ) -> InteractionRecord:
        """Validate references, store the interaction with its input, and queue it.

        Raises:
            QueueFullError: the tenant's queue is full; checked first, so nothing is stored.
        """
        previous_id = request.get("previous_interaction_id")
        with self.scheduler.admit(tenant) as admission:
            async with self._continuations.one_at_a_time(tenant, previous_id):
                row, prepared = await self._intake.accept(tenant, request, api_key_id)
                lease = None if self.replica is None else self.replica.lease()
                record = await self.store.interactions.create(tenant, row, lease)
                if self.replica is not None:
                    self.replica.held.add(record.id)
            live = self.logs.open(record.id)
            await live.append("interaction.created", interaction=snapshot(record))
            await live.append("interaction.status_update", interaction_id=record.id, status="in_progress")
            recorder = self._jobs.recorder(live, tenant, record.id, len(row.steps), row.steps)
            self._jobs.submit(tenant, record, recorder, admission, prepared=prepared)
            return record

    async def recover(self) -> tuple[int, int]:
        """At start-up: resume what a previous process left running, end the rest `failed`.

        Returns (resumed, failed); `recovery` says which can resume and how. With replicas, only
        those no live replica holds; the takeover loop (`replicas.keep`) calls it again each round.
        """
        return await recover(self.store, self.logs, self._jobs, self.agent_runner, self._events, self.replica)

    async def shutdown(self, grace_s: float) -> None:
        """SIGTERM: let running interactions finish for `grace_s` seconds, then leave the rest.

        What is left stays `in_progress` with every step so far stored; agent interactions keep
        running in their sandboxes and resume when the server starts again (`recover`).
        """
        await self._jobs.shutdown(grace_s)

    async def get(self, tenant: str, interaction_id: str, include_input: bool = False) -> dict[str, Any]:
        """The stored interaction with its steps."""
        record = await self._record(tenant, interaction_id)
        return snapshot(record, await all_steps(self.store, tenant, interaction_id), include_input)

    async def _record(self, tenant: str, interaction_id: str) -> InteractionRecord:
        record = await self.store.interactions.get(tenant, interaction_id)
        if record is None:
            raise NotFound(f"interaction {interaction_id!r} not found")
        return record

    async def wait(self, tenant: str, interaction_id: str) -> dict[str, Any]:
        """Wait for the interaction to end, then return it (foreground `create`)."""
        await self.scheduler.wait(interaction_id)
        answer = self._finisher.answer(interaction_id)  # built as it ended: no read-back
        return answer if answer is not None else await self.get(tenant, interaction_id)

    async def events(
        self, tenant: str, interaction_id: str, after: int = -1, *, created: bool = False
    ) -> AsyncIterator[Event | None]:
        """The SSE events after `after`: live while this process runs it, else followed in the store
        (page by page; another replica may be running it).

        `created`: the caller's create just made it, so its live log is followed even if a
        `store: false` interaction has already ended and been deleted.
        """
        live = self.logs.get(interaction_id)
        if not (created and live is not None):
            await self._record(tenant, interaction_id)
        if live is not None:
            async for event in live.follow(after):
                yield event
            return
        async for stored in follow_stored(self.store, tenant, interaction_id, after):
            yield stored

    def live(self, interaction_id: str) -> LiveLog | None:
        """The live log of a running (or just finished) interaction."""
        return self.logs.get(interaction_id)

    async def cancel(self, tenant: str, interaction_id: str) -> dict[str, Any]:
        """Stop a running interaction; a finished one is returned unchanged.

        Run by another replica, the cancel is stored for it and this waits for its ending (usually
        one heartbeat, `remote_cancel`); if that replica has not ended it by then, the answer is
        still `in_progress`, and a later `get` shows `cancelled` once it has.
        """
        record = await self._record(tenant, interaction_id)
        if record.status not in TERMINAL:
            await self._stop(tenant, record)
        return await self.get(tenant, interaction_id)

    async def cancel_run(self, interaction_id: str) -> None:
        """Cancel the run here: a cancel (or delete) asked through another replica (`Takeover`)."""
        await self.scheduler.cancel(interaction_id)

    async def _stop(self, tenant: str, record: InteractionRecord) -> None:
        """Cancel the run here, or (replicas) on the replica that runs it if it is unfinished."""
        if await self.scheduler.cancel(record.id) or self.replica is None or record.status in TERMINAL:
            return
        await cancel_elsewhere(self.store, self.replica, tenant, record.id)

    async def delete(self, tenant: str, interaction_id: str) -> None:
        """Cancel if running (here or on another replica), then delete with its steps and events."""
        await self._stop(tenant, await self._record(tenant, interaction_id))
        await self.store.interactions.delete(tenant, interaction_id)
        self.logs.drop(interaction_id)
        if self.replica is not None and self.replica.holds(interaction_id):
            await self.replica.release(interaction_id)


def _builtins(code: CodeSandboxes | None, web: WebTools | None) -> ModelBuiltins:
    """Which server tools a model-form request may name here."""
    web = web or WebTools()
    return ModelBuiltins(code is not None, web.pages is not None, web.search is not None)
