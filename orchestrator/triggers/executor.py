"""Running one execution: create its interaction the way `POST /interactions` does, and end it.

The interaction is created by `InteractionService.create` with the trigger owner's tenant and no
API key (`api_key_id` None: usage is counted for the tenant, not a key). An execution ends when its
interaction does (`completed` -> completed; any other end -> failed), or `timed_out` once
`execution_timeout_seconds` pass (its interaction is then cancelled). `settle` is idempotent: the
store ends an execution once, so a watcher, the loop's sweep and another server may all call it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from orchestrator.errors import WarrenError
from orchestrator.interactions.service import InteractionService
from orchestrator.interactions.snapshot import TERMINAL
from orchestrator.store import Store
from orchestrator.store.trigger_executions import ExecutionRecord
from orchestrator.store.triggers import TriggerRecord
from orchestrator.triggers.ports import Clock, ExecutionHook, QuotaCheck

__all__ = ["Executor"]

log = logging.getLogger("orchestrator.triggers")

ORPHAN_S = 60.0
"""An execution with no interaction this long after its start lost its server before creating one."""


class Executor:
    """Starts and ends executions."""

    def __init__(
        self,
        store: Store,
        interactions: InteractionService,
        now: Clock,
        hooks: Sequence[ExecutionHook],
        quota: QuotaCheck | None,
    ) -> None:
        self._store = store
        self._interactions = interactions
        self._now = now
        self._hooks = tuple(hooks)
        self._quota = quota

    async def launch(self, trigger: TriggerRecord, execution: ExecutionRecord) -> ExecutionRecord:
        """Create the execution's interaction (background); a refusal ends the execution `failed`."""
        request: dict[str, Any] = {**trigger.spec["interaction"], "background": True}
        if trigger.spec.get("environment_id"):
            request["environment"] = trigger.spec["environment_id"]
        try:
            if self._quota is not None:
                await self._quota(trigger.tenant)
            record = await self._interactions.create(trigger.tenant, request, None)
        except WarrenError as exc:
            await self.end(execution, "failed", f"the interaction was not created: {exc}")
            return execution
        await self._store.trigger_executions.attach(execution, record.id, record.environment_id)
        made = {"interaction_id": record.id, "environment_id": record.environment_id}
        return execution.model_copy(update=made)

    async def watch(self, execution: ExecutionRecord, timeout_s: float) -> None:
        """Wait for the execution's interaction to end in this process, then settle it."""
        if execution.interaction_id is not None:
            await self._interactions.scheduler.wait(execution.interaction_id)
            await self.settle(execution, timeout_s)

    async def settle(self, execution: ExecutionRecord, timeout_s: float) -> None:
        """End the execution if its interaction ended or its time is up (cancelling the interaction)."""
        now = self._now()
        started = execution.start_time or execution.created
        if execution.interaction_id is None:
            if now - started > timedelta(seconds=ORPHAN_S):
                await self.end(execution, "failed", "the server stopped before the interaction was created")
            return
        found = await self._store.interactions.get(execution.tenant, execution.interaction_id)
        if found is None:
            await self.end(execution, "failed", "the interaction was deleted before it ended")
        elif found.status == "completed":
            await self.end(execution, "completed", None)
        elif found.status in TERMINAL:
            await self.end(execution, "failed", f"the interaction ended {found.status}")
        elif now - started >= timedelta(seconds=timeout_s):
            # ended first: the cancel wakes this execution's watcher, which must find it already ended
            reason = "execution_timeout_seconds passed; the interaction was cancelled"
            await self.end(execution, "timed_out", reason)
            await self._interactions.cancel(execution.tenant, execution.interaction_id)

    async def end(self, execution: ExecutionRecord, status: str, error: str | None) -> None:
        """Store the end (once) and tell the hooks."""
        ended = await self._store.trigger_executions.finish(execution.id, status, error, self._now())
        if ended is None:
            return
        for hook in self._hooks:
            try:
                await hook(ended[0])
            except Exception:
                log.exception("a trigger execution hook failed for %s", execution.id)
