"""An interaction's stored log as the engine needs it: whole, streamed, or as the history it continues.

No read here asks the store for a whole log at once: the store serves each log in bounded pages
(`StepLog.step_pages` / `event_pages`, at most `MAX_ROWS` a read), and callers that need all of it
(`get`, a model turn's history, a resumed live log) gather the pages, while the SSE replay yields
each page's events as they arrive. A long interaction, or a long chain of them, is many short reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from orchestrator.interactions.history import split_input
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionRecord

__all__ = ["all_events", "all_steps", "conversation", "events_after"]

Step = dict[str, Any]
Event = dict[str, Any]
_MAX_HISTORY_DEPTH = 200


async def all_steps(store: Store, tenant: str, interaction_id: str) -> list[Step]:
    """Every stored step of the interaction, in order (empty for an unknown or foreign one)."""
    return [row.payload async for page in store.steps.step_pages(tenant, interaction_id) for row in page]


async def events_after(store: Store, tenant: str, interaction_id: str, after: int) -> AsyncIterator[Event]:
    """The stored events after position `after`, in order, one bounded read per page."""
    async for page in store.steps.event_pages(tenant, interaction_id, after):
        for row in page:
            yield row.payload


async def all_events(store: Store, tenant: str, interaction_id: str) -> list[Event]:
    """Every stored event of the interaction, in order (to reopen its live log on resume)."""
    return [event async for event in events_after(store, tenant, interaction_id, -1)]


async def conversation(
    store: Store, tenant: str, record: InteractionRecord, inputs: list[Step]
) -> list[Step]:
    """This interaction's `inputs` after the steps of every interaction it continues, oldest first;
    each interaction's stored steps follow the history its input replayed (`split_input`)."""
    chain: list[list[Step]] = [[*_replayed(record), *inputs]]
    previous_id = record.previous_interaction_id
    for _ in range(_MAX_HISTORY_DEPTH):
        if not previous_id:
            break
        previous = await store.interactions.get(tenant, previous_id)
        if previous is None:
            break
        chain.append([*_replayed(previous), *await all_steps(store, tenant, previous.id)])
        previous_id = previous.previous_interaction_id
    return [step for steps in reversed(chain) for step in steps]


def _replayed(record: InteractionRecord) -> list[Step]:
    return split_input(record.request.get("input"))[0]
