"""The webhook outbox: one row per event and destination, claimed with a lease, kept as a delivery log.

At-least-once: a row stays `pending` until an attempt is recorded as delivered or the row gives
up. A deliverer claims due rows by setting `lease_until` with a conditional UPDATE (SQLite writes
one at a time; PostgreSQL re-checks the condition under the row lock), so two processes never hold
the same row at once; a deliverer that dies leaves its lease to expire, and another takes the row.
An attempt is recorded only under the lease it was claimed with (`lease_until` is the token).
"""

from __future__ import annotations

import builtins
import json
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.engine import Connection

from orchestrator.store.db import Database
from orchestrator.store.models import WebhookDeliveryRow, WebhookRow, utcnow
from orchestrator.store.paging import fetch_page
from orchestrator.store.prepared import Prepared
from orchestrator.store.records import Page, Record

__all__ = ["MAX_LOG", "DeliveryRecord", "EventWriter", "WebhookOutbox"]

MAX_LOG = 64
"""Attempts kept in a delivery's log (the oldest are dropped past it)."""

# Every interaction's ending asks this (most tenants have no webhook): compiled once, not per ending.
_SUBSCRIBED = Prepared(
    select(WebhookRow.id, WebhookRow.events).where(
        WebhookRow.tenant == bindparam("tenant"), WebhookRow.state == bindparam("state")
    )
)

EventWriter = Callable[[Connection], None]
"""Writes an event's outbox rows inside another write's transaction (an interaction's ending)."""


class DeliveryRecord(Record):
    """One event for one destination, with its attempts."""

    id: str
    tenant: str
    webhook_id: str | None
    uri: str | None
    message_id: str
    event_type: str
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt: datetime
    lease_until: datetime | None
    log: list[dict[str, Any]]
    created: datetime
    updated: datetime


class WebhookOutbox:
    """Enqueue, claim and record webhook deliveries.

    Args:
        db: the database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def writer(
        self,
        tenant: str,
        event_type: str,
        payload: dict[str, Any],
        *,
        uris: Sequence[str] = (),
        webhook_id: str | None = None,
        wrote: Callable[[int], None] | None = None,
    ) -> EventWriter:
        """Rows for one event: to `uris` when given (a request's `webhook_config`), to `webhook_id`
        when given (a ping), else to each enabled webhook of the tenant subscribed to `event_type`.
        `wrote` hears how many rows went in (none: nobody need look at the outbox)."""
        message_id = f"msg_{secrets.token_hex(12)}"

        def write(conn: Connection) -> None:
            targets: list[tuple[str | None, str | None]] = [(None, u) for u in uris]
            if webhook_id is not None:
                targets = [(webhook_id, None)]
            elif not uris:
                found = _SUBSCRIBED.execute(conn, {"tenant": tenant, "state": "enabled"})
                targets = [(id, None) for id, events in found if event_type in _listed(events)]
            now = utcnow()
            rows: list[dict[str, Any]] = [
                {
                    "id": f"dlv_{secrets.token_hex(12)}",
                    "tenant": tenant,
                    "webhook_id": hook,
                    "uri": uri,
                    "message_id": message_id,
                    "event_type": event_type,
                    "payload": payload,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt": now,
                    "lease_until": None,
                    "log": [],
                    "created": now,
                    "updated": now,
                }
                for hook, uri in targets
            ]
            if rows:
                conn.execute(insert(WebhookDeliveryRow), rows)
                if wrote is not None:
                    wrote(len(rows))

        return write

    async def enqueue(self, write: EventWriter) -> None:
        """Run `writer(...)`'s rows in their own transaction (pings, trigger executions)."""
        await self._db.run_write(write)

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> builtins.list[DeliveryRecord]:
        """Take up to `limit` due rows whose lease is free, holding them until `lease_until`."""
        free = or_(WebhookDeliveryRow.lease_until.is_(None), WebhookDeliveryRow.lease_until < now)
        due = (WebhookDeliveryRow.state == "pending", WebhookDeliveryRow.next_attempt <= now, free)
        taken: builtins.list[DeliveryRecord] = []
        async with self._db.write() as session:
            ids = (
                await session.scalars(
                    select(WebhookDeliveryRow.id)
                    .where(*due)
                    .order_by(WebhookDeliveryRow.next_attempt)
                    .limit(limit)
                )
            ).all()
            for id in ids:
                row = await session.scalar(
                    update(WebhookDeliveryRow)
                    .where(WebhookDeliveryRow.id == id, *due)
                    .values(lease_until=lease_until)
                    .returning(WebhookDeliveryRow)
                )
                if row is not None:
                    taken.append(DeliveryRecord.model_validate(row))
        return taken

    async def record(
        self, delivery: DeliveryRecord, entry: dict[str, Any], *, state: str, next_attempt: datetime
    ) -> bool:
        """Append one attempt to the log and set the row's state, if the claim still holds."""
        log = [*delivery.log, entry][-MAX_LOG:]
        async with self._db.write() as session:
            changed = await session.scalar(
                update(WebhookDeliveryRow)
                .where(
                    WebhookDeliveryRow.id == delivery.id,
                    WebhookDeliveryRow.lease_until == delivery.lease_until,
                    WebhookDeliveryRow.state == "pending",
                )
                .values(
                    state=state,
                    attempts=delivery.attempts + 1,
                    log=log,
                    next_attempt=next_attempt,
                    lease_until=None,
                    updated=utcnow(),
                )
                .returning(WebhookDeliveryRow.id)
            )
            return changed is not None

    async def get(self, tenant: str, id: str) -> DeliveryRecord | None:
        """One delivery of the tenant's."""
        async with self._db.read() as session:
            row = await session.get(WebhookDeliveryRow, id)
            return None if row is None or row.tenant != tenant else DeliveryRecord.model_validate(row)

    async def list(
        self,
        tenant: str,
        webhook_id: str | None,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[DeliveryRecord]:
        """The delivery log of one webhook (or, for None, of the tenant's `webhook_config` URIs)."""
        hook = (
            WebhookDeliveryRow.webhook_id.is_(None)
            if webhook_id is None
            else WebhookDeliveryRow.webhook_id == webhook_id
        )
        stmt = select(WebhookDeliveryRow).where(WebhookDeliveryRow.tenant == tenant, hook)
        async with self._db.read() as session:
            rows, token = await fetch_page(
                session,
                stmt,
                WebhookDeliveryRow.created,
                WebhookDeliveryRow.id,
                page_size=page_size,
                page_token=page_token,
            )
            items: builtins.list[DeliveryRecord] = [DeliveryRecord.model_validate(r) for r in rows]
            return Page(items=items, next_page_token=token)


def _listed(events: Any) -> builtins.list[str]:
    """A webhook's `events` column as a list: SQLite's own cursor gives its JSON text."""
    return list(json.loads(events) if isinstance(events, str) else events)
