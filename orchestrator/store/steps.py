"""The per-interaction logs: steps (the assembled conversation) and SSE events (for resuming streams).

Both are append-only and numbered 0, 1, 2… per interaction with no gaps. The next number is taken
from a counter on the interaction row with `UPDATE … RETURNING` in the same transaction as the
insert: on PostgreSQL the row lock makes concurrent appends queue, and on SQLite the write
transaction (`BEGIN IMMEDIATE`) does. The `(interaction_id, seq)` primary key backs this up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, insert, text, update
from sqlalchemy.engine import Connection

from orchestrator.store.errors import NotFoundError
from orchestrator.store.event_notices import CHANNEL
from orchestrator.store.models import EventRow, InteractionRow, StepRow, utcnow
from orchestrator.store.prepared import Prepared
from orchestrator.store.step_reads import StepReader
from orchestrator.store.step_records import EventRecord, FirstNumbers, StepRecord, event_type, step_type

__all__ = ["StepLog"]

_SETTABLE = frozenset({"status", "usage", "errors", "warren_usage"})
"""Interaction columns `append_batch` may set in the same transaction."""

# Statements of the hot path, compiled once: building and hashing a statement per call cost more than
# running it. Bound parameter names differ from column names, which SQLAlchemy reserves in SET.
_INSERT_STEPS = Prepared(insert(StepRow))
_INSERT_EVENTS = Prepared(insert(EventRow))
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', :interaction_id)")
"""Sent with a batch that stores events, on PostgreSQL: other processes' streams read them now."""


@functools.cache
def _advance(columns: tuple[str, ...]) -> Prepared:
    """`UPDATE interactions` that takes `p_steps` step and `p_events` event numbers (and sets `columns`)."""
    table = InteractionRow.__table__
    return Prepared(
        update(InteractionRow)
        .where(InteractionRow.id == bindparam("p_id"), InteractionRow.tenant == bindparam("p_tenant"))
        .values(
            next_step_seq=InteractionRow.next_step_seq + bindparam("p_steps", type_=Integer),
            next_event_seq=InteractionRow.next_event_seq + bindparam("p_events", type_=Integer),
            updated=bindparam("p_updated", type_=table.c.updated.type),
            **{name: bindparam(f"p_{name}", type_=table.c[name].type) for name in columns},
        )
        .returning(InteractionRow.next_step_seq, InteractionRow.next_event_seq)
    )


class StepLog(StepReader):
    """Append to and read an interaction's steps and events; every call is scoped to one tenant.

    The reads (bounded pages) are `StepReader`'s; this class adds the appends.
    """

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
        first = await self.append_batch(tenant, interaction_id, steps, [])
        return [
            StepRecord(
                interaction_id=interaction_id,
                seq=first.step + i,
                type=step_type(s),
                payload=dict(s),
                created=first.created,
            )
            for i, s in enumerate(steps)
        ]

    async def append_event(self, tenant: str, interaction_id: str, event: Mapping[str, Any]) -> EventRecord:
        """Append one SSE event (its JSON, with `event_type`) and return it with its sequence number.

        Raises:
            NotFoundError: no such interaction for this tenant.
            ValueError: the event has no string `event_type`.
        """
        first = await self.append_batch(tenant, interaction_id, [], [event])
        kind = event_type(event)
        return EventRecord(
            interaction_id=interaction_id,
            seq=first.event,
            event_type=kind,
            payload=dict(event),
            created=first.created,
        )

    async def append_batch(
        self,
        tenant: str,
        interaction_id: str,
        steps: Sequence[Mapping[str, Any]],
        events: Sequence[Mapping[str, Any]],
        *,
        interaction: Mapping[str, Any] | None = None,
        also: Callable[[Connection], None] | None = None,
    ) -> FirstNumbers:
        """Append steps and events in one transaction, each numbered on from its log's last.

        Returns the numbers of the first step and the first event (the others follow them in
        order) and the time stored with them.

        An event that carries an `event_id` (the live log numbers them) must be stored under that
        number, so a stream resumed from the store continues the live one without a gap or repeat.

        Args:
            interaction: columns of the interaction row to set in the same transaction (`status`,
                `usage`, `errors`), so readers never see the final status without the final steps.
            also: more rows to write in the same transaction (the webhook outbox's event rows, so an
                ending is never stored without its webhook deliveries).

        Raises:
            NotFoundError: no such interaction for this tenant.
            ValueError: a step without `type`, an event without `event_type`, an `event_id` that
                is not the next number, or an `interaction` column that cannot be set here.
        """
        step_kinds = [step_type(s) for s in steps]
        event_kinds = [event_type(e) for e in events]
        change = dict(interaction or {})
        if unknown := set(change) - _SETTABLE:
            raise ValueError(f"cannot set {sorted(unknown)} with the step log")
        now = utcnow()
        common = {"interaction_id": interaction_id, "created": now}
        base = {**common, "tenant": tenant}

        stmt = _advance(tuple(sorted(change)))
        params = {
            "p_id": interaction_id,
            "p_tenant": tenant,
            "p_steps": len(steps),
            "p_events": len(events),
            "p_updated": now,
            **{f"p_{name}": value for name, value in change.items()},
        }

        notify = bool(events) and self._db.dialect == "postgresql"

        def append(conn: Connection) -> tuple[int, int]:
            returned = stmt.execute(conn, params)
            if not returned:
                raise NotFoundError("interaction", interaction_id)
            counters = returned[0]
            first_step, first_event = counters[0] - len(steps), counters[1] - len(events)
            for i, event in enumerate(events):
                if "event_id" in event and str(event["event_id"]) != str(first_event + i):
                    raise ValueError(
                        f"event_id {event['event_id']} would be stored as {first_event + i}: "
                        "the live log and the store disagree"
                    )
            _INSERT_STEPS.executemany(
                conn,
                [
                    {**base, "seq": first_step + i, "type": k, "payload": s}
                    for i, (k, s) in enumerate(zip(step_kinds, steps, strict=True))
                ],
            )
            _INSERT_EVENTS.executemany(
                conn,
                [
                    {**base, "seq": first_event + i, "event_type": k, "payload": e}
                    for i, (k, e) in enumerate(zip(event_kinds, events, strict=True))
                ],
            )
            if also is not None:
                also(conn)
            if notify:
                conn.execute(_NOTIFY, {"interaction_id": interaction_id})
            return first_step, first_event

        first_step, first_event = await self._db.run_write(append)
        return FirstNumbers(first_step, first_event, now)
