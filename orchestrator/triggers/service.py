"""Triggers: create, read, pause and resume them, run one now, and `tick` (what the loop calls).

`tick` first settles running executions (ended interactions, timeouts), then fires the due
triggers. Missed times (the server was down or busy): only the most recent due time fires; the
earlier ones are recorded as `skipped` executions (the `MAX_MISSED_RECORDED` most recent of them).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from orchestrator.errors import InvalidArgument, NotFound
from orchestrator.interactions.service import InteractionService
from orchestrator.observability.metrics import trigger_fired
from orchestrator.store import Page, Store
from orchestrator.store.models import TriggerRow
from orchestrator.store.trigger_executions import ExecutionRecord
from orchestrator.store.triggers import TriggerRecord
from orchestrator.triggers.executor import Executor
from orchestrator.triggers.ports import Clock, ExecutionHook, QuotaCheck
from orchestrator.triggers.schedule import Schedule

__all__ = ["TriggerService"]

log = logging.getLogger("orchestrator.triggers")


class TriggerService:
    """Everything the trigger routes and the firing loop do, independent of HTTP."""

    def __init__(
        self,
        store: Store,
        interactions: InteractionService,
        now: Clock,
        *,
        on_execution_end: Sequence[ExecutionHook] = (),
        quota: QuotaCheck | None = None,
        max_per_tenant: int = 100,
        batch: int = 100,
    ) -> None:
        self._store = store
        self._now = now
        self._max = max_per_tenant
        self._batch = batch
        self._executor = Executor(store, interactions, now, on_execution_end, quota)
        self._watchers: set[asyncio.Task[None]] = set()

    async def create(self, tenant: str, spec: dict[str, Any]) -> TriggerRecord:
        """Store a trigger (`spec` is the checked wire request, defaults filled in); 400 naming the field."""
        schedule = Schedule(spec["schedule"], spec["time_zone"])
        environment_id = spec.get("environment_id")
        if environment_id is not None:
            inline = spec["interaction"].get("environment")
            if inline is not None and inline != environment_id:
                reason = "differs from interaction.environment; send one of them"
                raise InvalidArgument(reason, field="environment_id")
            if await self._store.environments.get(tenant, environment_id) is None:
                raise NotFound(f"no environment {environment_id!r}", field="environment_id")
        now = self._now()
        trigger_id = f"trig_{secrets.token_hex(8)}"
        return await self._store.triggers.create(
            tenant, trigger_id, spec, schedule.next_after(now), now, self._max
        )

    async def get(self, tenant: str, trigger_id: str) -> TriggerRecord:
        """The trigger, or 404."""
        found = await self._store.triggers.get(tenant, trigger_id)
        if found is None:
            raise NotFound(f"trigger {trigger_id!r} not found")
        return found

    async def list(
        self, tenant: str, status: str | None, page_size: int | None, page_token: str | None
    ) -> Page[TriggerRecord]:
        """One page of the tenant's triggers."""
        return await self._store.triggers.list(
            tenant, status=status, page_size=page_size, page_token=page_token
        )

    async def update(
        self, tenant: str, trigger_id: str, display_name: str | None, status: str | None
    ) -> TriggerRecord:
        """Rename, pause (`paused`) or resume (`active`, also out of `error`, with the count reset)."""
        if status == "error":
            raise InvalidArgument("'error' is set by the server; send active or paused", field="status")
        current = await self.get(tenant, trigger_id)
        schedule = Schedule(current.spec["schedule"], current.spec["time_zone"])
        now = self._now()

        def edit(row: TriggerRow) -> None:
            if display_name is not None:
                row.spec = {**row.spec, "display_name": display_name}
            if status == "paused" and row.status != "paused":
                row.status, row.last_pause_time, row.next_run_time = "paused", now, None
            elif status == "active" and row.status != "active":
                row.status, row.last_resume_time = "active", now
                row.consecutive_failure_count, row.next_run_time = 0, schedule.next_after(now)
            row.updated = now

        return await self._store.triggers.change(tenant, trigger_id, edit)

    async def delete(self, tenant: str, trigger_id: str) -> None:
        """Delete the trigger and its executions; interactions it created stay."""
        await self._store.triggers.delete(tenant, trigger_id)

    async def run(self, tenant: str, trigger_id: str) -> ExecutionRecord:
        """Run the trigger now, whatever its status; claims no scheduled time."""
        trigger = await self.get(tenant, trigger_id)
        execution = await self._store.trigger_executions.start(trigger, self._now())
        return await self._start(trigger, execution)

    async def executions(
        self, tenant: str, trigger_id: str, page_size: int | None, page_token: str | None
    ) -> Page[ExecutionRecord]:
        """One page of the trigger's executions, oldest first."""
        await self.get(tenant, trigger_id)
        return await self._store.trigger_executions.list(
            tenant, trigger_id, page_size=page_size, page_token=page_token
        )

    async def tick(self) -> None:
        """Settle running executions, then fire every due trigger once (claimed in the store)."""
        for execution in await self._store.trigger_executions.running(self._batch):
            trigger = await self._store.triggers.get(execution.tenant, execution.trigger_id)
            if trigger is not None:
                await self._executor.settle(execution, _timeout_s(trigger))
        now = self._now()
        for trigger in await self._store.triggers.due(now, self._batch):
            assert trigger.next_run_time is not None  # due() selects only scheduled ones
            schedule = Schedule(trigger.spec["schedule"], trigger.spec["time_zone"])
            fire, missed = schedule.due(trigger.next_run_time, now)
            claimed = await self._store.trigger_executions.claim(
                trigger, fire, missed, schedule.next_after(now), now
            )
            if claimed is not None:  # None: another server (or an earlier tick) has it
                await self._start(trigger, claimed)

    async def _start(self, trigger: TriggerRecord, execution: ExecutionRecord) -> ExecutionRecord:
        execution = await self._executor.launch(trigger, execution)
        trigger_fired("started" if execution.interaction_id is not None else "failed")
        if execution.interaction_id is not None:
            task = asyncio.create_task(self._executor.watch(execution, _timeout_s(trigger)))
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)
        return execution

    async def run_forever(self, every_s: float) -> None:
        """The firing loop: `tick` every `every_s` seconds until cancelled."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("trigger tick failed; trying again in %s s", every_s)
            await asyncio.sleep(every_s)

    async def close(self) -> None:
        """Stop watching; executions still running are settled by the next server's sweep."""
        for task in list(self._watchers):
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)


def _timeout_s(trigger: TriggerRecord) -> float:
    return float(trigger.spec["execution_timeout_seconds"])
