"""Webhooks: a tenant's static subscriptions, with their signing secrets sealed at rest.

A secret is shown once, when it is made (`create`, `rotate`); afterwards only its truncated form
and expiry are read back. `signing_secrets` opens the unexpired ones for the deliverer, which
signs each delivery with all of them (so receivers keep verifying across a rotation).
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from orchestrator.store.db import Database
from orchestrator.store.errors import AlreadyExistsError, NotFoundError
from orchestrator.store.models import WebhookDeliveryRow, WebhookRow, utcnow
from orchestrator.store.paging import fetch_page
from orchestrator.store.records import Page, Record
from orchestrator.store.sealing import Sealer

__all__ = ["DISABLED_BY_FAILURES", "SecretInfo", "WebhookRecord", "WebhookRepository"]

DISABLED_BY_FAILURES = "disabled_due_to_failed_deliveries"
"""The state a webhook that kept failing is moved to; only an update to `enabled` lifts it."""


class SecretInfo(Record):
    """What may be shown of a signing secret."""

    truncated: str
    """`whsec_` and the last four characters."""
    expire: datetime | None
    """When it stops signing; None while it is the current secret."""


class WebhookRecord(Record):
    """A stored webhook without its secrets."""

    tenant: str
    id: str
    name: str | None
    uri: str
    events: list[str]
    state: str
    secrets: list[SecretInfo]
    failing_since: datetime | None
    created: datetime
    updated: datetime


def _record(row: WebhookRow) -> WebhookRecord:
    secrets = [
        SecretInfo(
            truncated=s["truncated"], expire=datetime.fromisoformat(s["expire"]) if s["expire"] else None
        )
        for s in row.secrets
    ]
    return WebhookRecord(
        tenant=row.tenant,
        id=row.id,
        name=row.name,
        uri=row.uri,
        events=list(row.events),
        state=row.state,
        secrets=secrets,
        failing_since=row.failing_since,
        created=row.created,
        updated=row.updated,
    )


def _truncated(secret: str) -> str:
    return f"whsec_...{secret[-4:]}"


class WebhookRepository:
    """Create, read, change and delete webhooks; every call is scoped to one tenant.

    Args:
        db: the database.
        sealer: seals signing secrets, bound to (tenant, webhook id, secret number).
    """

    def __init__(self, db: Database, sealer: Sealer) -> None:
        self._db = db
        self._sealer = sealer

    def _sealed(self, tenant: str, id: str, secret: str) -> dict[str, Any]:
        return {
            "sealed": self._sealer.seal(secret, context=(tenant, id, "webhook")),
            "truncated": _truncated(secret),
            "expire": None,
        }

    async def create(
        self, tenant: str, id: str, *, name: str | None, uri: str, events: list[str], secret: str
    ) -> WebhookRecord:
        """Store a new, enabled webhook with its first signing secret.

        Raises:
            AlreadyExistsError: the id is taken.
        """
        now = utcnow()
        async with self._db.write() as session:
            if await session.get(WebhookRow, (tenant, id)) is not None:
                raise AlreadyExistsError("webhook", id)
            row = WebhookRow(
                tenant=tenant,
                id=id,
                name=name,
                uri=uri,
                events=events,
                state="enabled",
                secrets=[self._sealed(tenant, id, secret)],
                failing_since=None,
                created=now,
                updated=now,
            )
            session.add(row)
            return _record(row)

    async def get(self, tenant: str, id: str) -> WebhookRecord | None:
        """The webhook, or None when this tenant has none with that id."""
        async with self._db.read() as session:
            row = await session.get(WebhookRow, (tenant, id))
            return None if row is None else _record(row)

    async def list(
        self, tenant: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[WebhookRecord]:
        """One page of the tenant's webhooks, oldest first."""
        stmt = select(WebhookRow).where(WebhookRow.tenant == tenant)
        async with self._db.read() as session:
            rows, token = await fetch_page(
                session, stmt, WebhookRow.created, WebhookRow.id, page_size=page_size, page_token=page_token
            )
            items: builtins.list[WebhookRecord] = [_record(r) for r in rows]
            return Page(items=items, next_page_token=token)

    async def update(self, tenant: str, id: str, change: dict[str, Any]) -> WebhookRecord:
        """Set `name`, `uri`, `events` or `state`; enabling again forgets past failures.

        Raises:
            NotFoundError: no such webhook.
        """
        async with self._db.write() as session:
            row = await session.get(WebhookRow, (tenant, id))
            if row is None:
                raise NotFoundError("webhook", id)
            for key in ("name", "uri", "events", "state"):
                if key in change:
                    setattr(row, key, change[key])
            if change.get("state") == "enabled":
                row.failing_since = None
            row.updated = utcnow()
            return _record(row)

    async def rotate(self, tenant: str, id: str, secret: str, *, keep_old_for: timedelta) -> WebhookRecord:
        """Make `secret` the current one; older ones expire after `keep_old_for` (zero: at once)."""
        now = utcnow()
        async with self._db.write() as session:
            row = await session.get(WebhookRow, (tenant, id))
            if row is None:
                raise NotFoundError("webhook", id)
            expire = (now + keep_old_for).isoformat()
            kept = (
                []
                if keep_old_for <= timedelta(0)
                else [
                    {**s, "expire": min(s["expire"] or expire, expire)}
                    for s in row.secrets
                    if not s["expire"] or datetime.fromisoformat(s["expire"]) > now
                ]
            )
            row.secrets = [self._sealed(tenant, id, secret), *kept][:8]
            row.updated = now
            return _record(row)

    async def signing_secrets(self, tenant: str, id: str, now: datetime) -> builtins.list[str]:
        """The webhook's unexpired secrets, opened (the deliverer signs with each)."""
        async with self._db.read() as session:
            row = await session.get(WebhookRow, (tenant, id))
            stored = [] if row is None else list(row.secrets)
        live = [s for s in stored if not s["expire"] or datetime.fromisoformat(s["expire"]) > now]
        return [self._sealer.open(s["sealed"], context=(tenant, id, "webhook")) for s in live]

    async def outcome(
        self, tenant: str, id: str, *, ok: bool, now: datetime, disable_after: timedelta
    ) -> str:
        """Note a delivery attempt's outcome; a webhook failing for `disable_after` is disabled.

        Returns the webhook's state afterwards ("" when it is gone).
        """
        async with self._db.write() as session:
            row = await session.get(WebhookRow, (tenant, id))
            if row is None:
                return ""
            if ok:
                row.failing_since = None
            else:
                row.failing_since = row.failing_since or now
                if row.state == "enabled" and now - row.failing_since >= disable_after:
                    row.state, row.updated = DISABLED_BY_FAILURES, now
            return row.state

    async def delete(self, tenant: str, id: str) -> None:
        """Delete the webhook and its undelivered events.

        Raises:
            NotFoundError: no such webhook.
        """
        async with self._db.write() as session:
            gone = await session.scalar(
                delete(WebhookRow)
                .where(WebhookRow.tenant == tenant, WebhookRow.id == id)
                .returning(WebhookRow.id)
            )
            if gone is None:
                raise NotFoundError("webhook", id)
            await session.execute(
                delete(WebhookDeliveryRow).where(
                    WebhookDeliveryRow.tenant == tenant,
                    WebhookDeliveryRow.webhook_id == id,
                    WebhookDeliveryRow.state == "pending",
                )
            )
