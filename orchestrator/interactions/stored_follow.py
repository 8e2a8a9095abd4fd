"""Follow an interaction from the store: the SSE stream of one that another process runs.

A process serves an interaction's stream from its live log when it runs it (`live.py`). A replica
that does not (the interaction runs on another replica, or on none yet) reads the stored events
instead and waits for more: a stored batch wakes it (`Store.notices`, PostgreSQL's NOTIFY), and
without a notice it reads again after `poll_s`. The store numbers events with no gaps and stores an
ending with its last events in one transaction, so the stream is in order, complete, and ends after
the terminal event, or when the record has ended and nothing is left to read.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from orchestrator.interactions.live import TERMINAL_EVENTS, Event
from orchestrator.interactions.snapshot import TERMINAL
from orchestrator.interactions.step_reads import events_after
from orchestrator.store import Store

__all__ = ["follow_stored"]


async def follow_stored(
    store: Store,
    tenant: str,
    interaction_id: str,
    after: int = -1,
    *,
    poll_s: float = 1.0,
    idle_timeout_s: float = 15.0,
) -> AsyncIterator[Event | None]:
    """The stored events after position `after`, then each new one as it is stored, until the end.

    Yields `None` after `idle_timeout_s` without an event, like `LiveLog.follow`, so the caller can
    send a keep-alive and notice a client that left.
    """
    position, quiet_since = after, time.monotonic()
    while True:
        read = 0
        async for event in events_after(store, tenant, interaction_id, position):
            position += 1
            read += 1
            yield event
            if event.get("event_type") in TERMINAL_EVENTS:
                return
        if read:
            quiet_since = time.monotonic()
        else:
            record = await store.interactions.get(tenant, interaction_id)
            if record is None or record.status in TERMINAL:
                async for event in events_after(store, tenant, interaction_id, position):
                    yield event  # stored with the ending, after this loop's read
                return
            if time.monotonic() - quiet_since >= idle_timeout_s:
                quiet_since = time.monotonic()
                yield None
        await store.notices.wait(interaction_id, poll_s)
