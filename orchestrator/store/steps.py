"""The per-interaction logs: steps (the assembled conversation) and SSE events (for resuming streams).

Both are append-only and numbered 0, 1, 2… per interaction with no gaps. The next number is taken
from a counter on the interaction row with `UPDATE … RETURNING` in the same transaction as the
insert: on PostgreSQL the row lock makes concurrent appends queue, and on SQLite the write
transaction (`BEGIN IMMEDIATE`) does. The `(interaction_id, seq)` primary key backs this up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from orchestrator.store.db import Database
from orchestrator.store.errors import NotFoundError
from orchestrator.store.models import EventRow, InteractionRow, StepRow, utcnow
from orchestrator.store.records import Record

__all__ = ["EventRecord", "StepLog", "StepRecord", "step_type"]


class StepRecord(Record):
    """One stored step."""

    interaction_id: str
    """The interaction it belongs to."""
    seq: int
    """Its position in the interaction, from 0."""
    type: str
    """The wire step `type`, copied from the payload."""
    payload: dict[str, Any]
    """The whole wire Step object."""
    created: datetime
    """When it was appended (UTC)."""


class EventRecord(Record):
    """One stored SSE event."""

    interaction_id: str
    """The interaction it belongs to."""
    seq: int
    """Its position in the interaction's event log, from 0; the API derives `event_id` from it."""
    event_type: str
    """The wire `event_type`, copied from the payload."""
    payload: dict[str, Any]
    """The event JSON as sent (the API adds `event_id`)."""
    created: datetime
    """When it was appended (UTC)."""


def step_type(step: Mapping[str, Any]) -> str:
    """The wire step's `type`, kept in its own column.

    Raises:
        ValueError: the step has no string `type`.
    """
    return _kind(step, "type")


class StepLog:
    """Append to and read an interaction's steps and events; every call is scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def append_step(self, tenant: str, interaction_id: str, step: Mapping[str, Any]) -> StepRecord:
        """Append one wire Step and return it with its sequence number.

        Raises:
            NotFoundError: no such interaction for this tenant.
            ValueError: the step has no string `type`.
        """
        return (await self.append_steps(tenant, interaction_id, [step]))[0]

    async def append_steps(
        self, tenant: str, interaction_id: str, steps: Sequence[Mapping[str, Any]]
    ) -> list[StepRecord]:
        """Append several steps atomically, with consecutive sequence numbers."""
        kinds = [step_type(s) for s in steps]
        now = utcnow()
        async with self._db.write() as session:
            first = await _reserve(session, tenant, interaction_id, InteractionRow.next_step_seq, len(steps))
            rows = [
                StepRow(
                    interaction_id=interaction_id,
                    seq=first + i,
                    tenant=tenant,
                    type=k,
                    payload=dict(s),
                    created=now,
                )
                for i, (k, s) in enumerate(zip(kinds, steps, strict=True))
            ]
            session.add_all(rows)
        return [StepRecord.model_validate(r) for r in rows]

    async def append_event(self, tenant: str, interaction_id: str, event: Mapping[str, Any]) -> EventRecord:
        """Append one SSE event (its JSON, with `event_type`) and return it with its sequence number.

        Raises:
            NotFoundError: no such interaction for this tenant.
            ValueError: the event has no string `event_type`.
        """
        kind = _kind(event, "event_type")
        now = utcnow()
        async with self._db.write() as session:
            seq = await _reserve(session, tenant, interaction_id, InteractionRow.next_event_seq, 1)
            row = EventRow(
                interaction_id=interaction_id,
                seq=seq,
                tenant=tenant,
                event_type=kind,
                payload=dict(event),
                created=now,
            )
            session.add(row)
        return EventRecord.model_validate(row)

    async def list_steps(self, tenant: str, interaction_id: str) -> list[StepRecord]:
        """The interaction's steps in order; empty for an unknown or foreign interaction."""
        stmt = (
            select(StepRow)
            .where(StepRow.tenant == tenant, StepRow.interaction_id == interaction_id)
            .order_by(StepRow.seq)
        )
        async with self._db.read() as session:
            return [StepRecord.model_validate(r) for r in (await session.scalars(stmt)).all()]

    async def events_after(
        self, tenant: str, interaction_id: str, after_seq: int = -1, *, limit: int | None = None
    ) -> list[EventRecord]:
        """Events with `seq > after_seq`, in order: the replay for `last_event_id`.

        The default `-1` replays from the start; an unknown or foreign interaction gives no events.
        """
        stmt = (
            select(EventRow)
            .where(
                EventRow.tenant == tenant, EventRow.interaction_id == interaction_id, EventRow.seq > after_seq
            )
            .order_by(EventRow.seq)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        async with self._db.read() as session:
            return [EventRecord.model_validate(r) for r in (await session.scalars(stmt)).all()]


async def _reserve(
    session: AsyncSession, tenant: str, interaction_id: str, counter: InstrumentedAttribute[int], count: int
) -> int:
    """Advance the interaction's counter by `count` under its row lock; return the first number taken."""
    stmt = (
        update(InteractionRow)
        .where(InteractionRow.id == interaction_id, InteractionRow.tenant == tenant)
        .values({counter: counter + count, InteractionRow.updated: utcnow()})
        .returning(counter)
        .execution_options(synchronize_session=False)
    )
    after = await session.scalar(stmt)
    if after is None:
        raise NotFoundError("interaction", interaction_id)
    return after - count


def _kind(obj: Mapping[str, Any], field: str) -> str:
    value = obj.get(field)
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing string `{field}`")
    return value
