"""Cancelling an interaction that another replica runs (PostgreSQL replicas).

The cancel is stored on the interaction's lease (`Leases.request_cancel`); the replica holding the
lease reads it with its next heartbeat, in the statement that renews its leases, and cancels its run
the normal way, so the interaction ends `cancelled` with its usual events, once. The replica that
was asked waits for that ending, woken by the ending's NOTIFY (`Store.notices`) or reading again
every half second, so its answer is usually the cancelled interaction, as a local cancel's is.
"""

from __future__ import annotations

import asyncio

from orchestrator.interactions.replica import Replica
from orchestrator.store import Store
from orchestrator.store.leases import UNFINISHED

__all__ = ["cancel_elsewhere"]

_POLL_S = 0.5
"""How often the stored status is read again when no notice came."""


def answer_within_s(replica: Replica) -> float:
    """How long a cancel through another replica waits for the ending: the holder's next heartbeat
    (up to `beat_s`), once more for a lost round, and a few seconds for its run to unwind."""
    return 2 * replica.beat_s + 3.0


async def cancel_elsewhere(store: Store, replica: Replica, tenant: str, interaction_id: str) -> None:
    """Ask whichever replica runs the interaction to cancel it, and wait (bounded) for its ending.

    If it has not ended by then (its replica died: the one that takes it over cancels it at its
    first heartbeat after claiming it), the caller answers what is stored now, still running.
    """
    if not await store.leases.request_cancel(interaction_id):
        return  # it ended meanwhile
    loop = asyncio.get_running_loop()
    deadline = loop.time() + answer_within_s(replica)
    while (left := deadline - loop.time()) > 0:
        await store.notices.wait(interaction_id, min(left, _POLL_S))
        record = await store.interactions.get(tenant, interaction_id)
        if record is None or record.status not in UNFINISHED:
            return
