"""Reading an interaction's steps and events in bounded pages.

On SQLite a read runs on the event loop (`Database.run_read`), so one read of a whole long log
would hold every other request for as long as the log is long. Each read therefore returns at
most `MAX_ROWS` rows, after a `seq` cursor; `step_pages` and `event_pages` walk a whole log one
bounded read at a time, letting the loop serve others in between.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy import select

from orchestrator.store.db import Database
from orchestrator.store.errors import NotFoundError
from orchestrator.store.models import EventRow, InteractionRow, StepRow
from orchestrator.store.step_records import EventRecord, StepRecord

__all__ = ["MAX_ROWS", "StepReader"]

MAX_ROWS = 1000
"""Most steps or events one read returns; a larger `limit` is served this many."""

_Seq = TypeVar("_Seq", StepRecord, EventRecord)


class StepReader:
    """Reads of the step and event logs; every call is scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_steps(
        self, tenant: str, interaction_id: str, *, after_seq: int = -1, limit: int = MAX_ROWS
    ) -> list[StepRecord]:
        """Up to `limit` (at most `MAX_ROWS`) steps with `seq > after_seq`, in order.

        The default `-1` starts at the first step; an unknown or foreign interaction has none.
        """
        return await self._after(StepRow, StepRecord, tenant, interaction_id, after_seq, limit)

    async def events_after(
        self, tenant: str, interaction_id: str, after_seq: int = -1, *, limit: int = MAX_ROWS
    ) -> list[EventRecord]:
        """Up to `limit` (at most `MAX_ROWS`) events with `seq > after_seq`, in order: the replay for
        `last_event_id`. The default `-1` replays from the start; an unknown or foreign interaction
        gives no events."""
        return await self._after(EventRow, EventRecord, tenant, interaction_id, after_seq, limit)

    def step_pages(self, tenant: str, interaction_id: str) -> AsyncIterator[list[StepRecord]]:
        """The interaction's whole step log, one bounded read (of up to `MAX_ROWS`) per page."""
        return _pages(lambda after: self.list_steps(tenant, interaction_id, after_seq=after), -1)

    def event_pages(
        self, tenant: str, interaction_id: str, after_seq: int = -1
    ) -> AsyncIterator[list[EventRecord]]:
        """The events after `after_seq` to the end of the log, one bounded read per page."""
        return _pages(lambda after: self.events_after(tenant, interaction_id, after), after_seq)

    async def next_event_seq(self, tenant: str, interaction_id: str) -> int:
        """The number the interaction's next event gets (its event count so far).

        Raises:
            NotFoundError: no such interaction for this tenant.
        """
        stmt = select(InteractionRow.next_event_seq).where(
            InteractionRow.id == interaction_id, InteractionRow.tenant == tenant
        )
        value = await self._db.run_read(lambda conn: conn.execute(stmt).scalar_one_or_none())
        if value is None:
            raise NotFoundError("interaction", interaction_id)
        return int(value)

    async def _after(
        self,
        table: type[StepRow] | type[EventRow],
        record: type[_Seq],
        tenant: str,
        interaction_id: str,
        after_seq: int,
        limit: int,
    ) -> list[_Seq]:
        """One bounded read of either log: its rows with `seq > after_seq`, in order."""
        stmt = (
            select(*(getattr(table, name) for name in record.model_fields))
            .where(table.tenant == tenant, table.interaction_id == interaction_id, table.seq > after_seq)
            .order_by(table.seq)
            .limit(_bounded(limit))
        )
        rows = await self._db.run_read(lambda conn: conn.execute(stmt).mappings().all())
        return [record(**r) for r in rows]


def _bounded(limit: int) -> int:
    """`limit` within 0..`MAX_ROWS` (a negative LIMIT would mean "no limit" to SQLite)."""
    return max(0, min(limit, MAX_ROWS))


async def _pages(
    read: Callable[[int], Awaitable[Sequence[_Seq]]], after_seq: int
) -> AsyncIterator[list[_Seq]]:
    """Pages from `read(after_seq)` on, each after the last `seq` of the one before, until one is short."""
    while True:
        page = list(await read(after_seq))
        if page:
            yield page
        if len(page) < MAX_ROWS:
            return
        after_seq = page[-1].seq
