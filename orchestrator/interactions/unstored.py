"""`store: false`: an interaction kept only while it runs.

Its row, steps and events are stored as for any other interaction, because the run needs them (the
runner's ledger, resume after a restart, the SSE replay while it runs); once it has ended they are
deleted, so `get` answers 404 and `previous_interaction_id` cannot name it. Its usage still counts
towards the tenant's quota. `refusals` refuses `store: false` with `background: true`.
"""

from __future__ import annotations

import contextlib

from orchestrator.store import Store
from orchestrator.store.errors import NotFoundError

__all__ = ["forget"]


async def forget(store: Store, tenant: str, interaction_id: str) -> None:
    """Delete an ended `store: false` interaction with its steps and events (already gone: nothing to do)."""
    with contextlib.suppress(NotFoundError):  # its client deleted it meanwhile
        await store.interactions.delete(tenant, interaction_id)
