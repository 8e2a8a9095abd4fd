"""Ending an interaction this process ran: its final status, steps, events and usage stored at once.

The last steps and events, the final status, errors and usage go to the store in one transaction,
after every earlier batch, so a reader never sees the final status without the final steps. The
ending's two events reach live streams only once that transaction is committed (`LiveLog.hold`), so
a client that reads the interaction when its stream has ended finds the final status. Then
the agent runner hears the ending is stored, the usage meter counts the tokens, and the final
snapshot is kept for the foreground caller waiting on it, which then needs no read-back. An
interaction created with `store: false` is deleted with its steps and events once it has ended.
With replicas, the same transaction drops the interaction's lease, and is rolled back if another
replica took the lease over meanwhile: then that replica stores the ending, never both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from orchestrator.interactions.ports import AgentRunner
from orchestrator.interactions.recorder import Recorder
from orchestrator.interactions.replica import Replica
from orchestrator.interactions.snapshot import snapshot, wire_usage
from orchestrator.interactions.unstored import forget
from orchestrator.interactions.usage import UsageMeter
from orchestrator.observability.metrics import interaction_ended
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionRecord
from orchestrator.store.leases import LeaseLostError, ending_release
from orchestrator.store.models import utcnow
from orchestrator.store.webhook_outbox import EventWriter

__all__ = ["Finisher", "InteractionEvents"]

log = logging.getLogger("orchestrator.interactions")

_MAX_ANSWERS = 1024


class InteractionEvents(Protocol):
    """Who hears that an interaction ended (webhooks), with rows written in the ending's transaction."""

    def ending(self, tenant: str, interaction: InteractionRecord) -> EventWriter | None:
        """Rows to write with this ending (its final status is set in `interaction`), or None."""

    def written(self) -> None:
        """The ending (and the rows `ending` gave) is committed."""

    def check_targets(self, config: Mapping[str, Any]) -> None:
        """Refuse a request's `webhook_config` whose URIs may not be delivered to (400 naming the URI),
        before anything is stored."""


class Finisher:
    """Stores interactions' endings and keeps their final snapshots for foreground waiters."""

    def __init__(
        self,
        store: Store,
        agent_runner: AgentRunner | None,
        usage: UsageMeter,
        events: InteractionEvents | None = None,
        replica: Replica | None = None,
    ) -> None:
        self._store = store
        self._replica = replica
        self._events = events
        self._agent_runner = agent_runner
        self._usage = usage
        self._answers: dict[str, dict[str, Any]] = {}

    async def finish(
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
        if recorder.warren_usage is not None:
            change["warren_usage"] = recorder.warren_usage
        final = record.model_copy(update={**change, "updated": utcnow()})
        recorder.log.hold()  # streams get the ending once it is stored
        try:
            await recorder.event(
                "interaction.status_update", interaction_id=record.id, status=status, usage=usage
            )
            await recorder.event("interaction.completed", interaction=snapshot(final))
            await recorder.settle()  # earlier batches first: the final one must follow them
            steps, events = recorder.drain()
            await asyncio.shield(
                self._store.steps.append_batch(
                    tenant, record.id, steps, events, interaction=change, also=self._also(tenant, final)
                )
            )
        except LeaseLostError:
            log.error("interaction %s was taken over by another replica; its ending is theirs", record.id)
            return
        finally:
            await recorder.log.release()
        if self._replica is not None:
            self._replica.held.discard(record.id)
        if self._events is not None:
            self._events.written()
        if self._agent_runner is not None and record.agent:
            await self._agent_runner.committed(record.id)
        self._usage.add(tenant, record.api_key_id, usage)
        seconds = (final.updated - record.created).total_seconds()
        interaction_ended(status, record.agent, record.model, tenant, seconds)
        if len(self._answers) >= _MAX_ANSWERS:  # nobody waited for the oldest: forget it
            self._answers.pop(next(iter(self._answers)))
        self._answers[record.id] = snapshot(final, [*recorder.inputs, *recorder.steps])
        if record.request.get("store") is False:  # kept only while it ran: `get` answers 404 from now on
            await asyncio.shield(forget(self._store, tenant, record.id))

    def _also(self, tenant: str, final: InteractionRecord) -> EventWriter | None:
        """The ending's webhook rows and, with replicas, the release of its lease."""
        rows = None if self._events is None else self._events.ending(tenant, final)
        if self._replica is None:
            return rows
        return ending_release(final.id, self._replica.id, rows)

    def answer(self, interaction_id: str) -> dict[str, Any] | None:
        """The final snapshot of an interaction that ended here, once (None if forgotten or not ended)."""
        return self._answers.pop(interaction_id, None)
