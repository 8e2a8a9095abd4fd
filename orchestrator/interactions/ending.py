"""Ending interactions a dead process left running: `failed`, with the final SSE events stored.

After a restart nothing runs the interactions still marked `queued` or `in_progress`; each ends
`failed` with `RESTART_ERROR`, and the `interaction.status_update` and `interaction.completed`
events go after its last stored one in the same transaction, so a reader of the stream sees the
end. This lives with the interactions (it renders their snapshot), not with the sandbox reconciler.
"""

from __future__ import annotations

import logging
from typing import Any

from orchestrator.interactions.finish import InteractionEvents
from orchestrator.interactions.snapshot import snapshot
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionRecord
from orchestrator.store.models import utcnow

__all__ = ["RESTART_ERROR", "fail_interaction", "fail_unfinished"]

log = logging.getLogger("orchestrator.reconcile")

RESTART_ERROR = {
    "code": "orchestrator_restarted",
    "message": "the server stopped while this interaction was running; it did not finish. Start a new one.",
}
"""The error an interaction left running by a previous server process ends with."""


async def fail_unfinished(store: Store) -> int:
    """End every `queued` or `in_progress` interaction `failed`: start-up only, when none can be running.

    Each gets `errors: [RESTART_ERROR]` and, in the same transaction, the `interaction.status_update`
    and `interaction.completed` events after its last stored one. Returns how many were ended.
    """
    unfinished = await store.interactions.unfinished()
    for record in unfinished:
        await fail_interaction(store, record)
    if unfinished:
        log.warning("%d interactions of a previous process ended failed", len(unfinished))
    return len(unfinished)


async def fail_interaction(
    store: Store, record: InteractionRecord, events: InteractionEvents | None = None
) -> None:
    """End one interaction of a previous process `failed` with `RESTART_ERROR` and its final events
    (and, with `events`, its webhook deliveries, in the same transaction)."""
    change: dict[str, Any] = {"status": "failed", "errors": [RESTART_ERROR]}
    final = record.model_copy(update={**change, "updated": utcnow()})
    first = await store.steps.next_event_seq(record.tenant, record.id)
    sse: list[dict[str, Any]] = [
        {
            "event_type": "interaction.status_update",
            "event_id": str(first),
            "interaction_id": record.id,
            "status": "failed",
        },
        {"event_type": "interaction.completed", "event_id": str(first + 1), "interaction": snapshot(final)},
    ]
    hooks = None if events is None else events.ending(record.tenant, final)
    await store.steps.append_batch(record.tenant, record.id, [], sse, interaction=change, also=hooks)
    if events is not None:
        events.written()
