"""`WebhookService`: what the webhook routes do, independent of HTTP.

A URI is checked when a webhook is made or changed: an http(s) URI with a host, and when the host
is an IP literal, one the address policy allows (400 on `uri` with the reason otherwise). A name is
resolved and checked again at every delivery, where the address is then pinned.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from orchestrator.egress.policy import Resolver
from orchestrator.errors import InvalidArgument
from orchestrator.store import Store
from orchestrator.store.errors import NotFoundError
from orchestrator.store.records import Page
from orchestrator.store.trigger_executions import ExecutionRecord
from orchestrator.store.webhook_outbox import DeliveryRecord
from orchestrator.store.webhooks import WebhookRecord
from orchestrator.webhooks.addresses import check_uri, literal_refusal
from orchestrator.webhooks.events import event_body
from orchestrator.webhooks.signing import dynamic_secret, new_secret

__all__ = ["WebhookService"]

_GRACE = timedelta(hours=24)


class WebhookService:
    """Create, read, change, ping and rotate webhooks; read their delivery logs.

    Args:
        store: webhooks and the outbox.
        resolver: the egress address rules, for URIs that name an IP literal.
        dynamic_key: the installation key `webhook_config` secrets derive from.
        wake: the deliverer's `wake` (a ping goes out at once).
    """

    def __init__(
        self, store: Store, resolver: Resolver, dynamic_key: bytes, wake: Callable[[], None]
    ) -> None:
        self._store = store
        self._resolver = resolver
        self._key = dynamic_key
        self._wake = wake

    def check_uri(self, uri: str, field: str = "uri") -> str:
        """`uri` when deliveries may go there (by its form and, for IP literals, its address).

        Raises:
            InvalidArgument: naming `field`, with the reason.
        """
        try:
            check_uri(uri)
            refused = literal_refusal(uri, self._resolver)
        except ValueError as exc:
            raise InvalidArgument(str(exc), field=field) from None
        if refused:
            raise InvalidArgument(f"refused by the address policy ({refused})", field=field)
        return uri

    async def create(
        self, tenant: str, *, uri: str, events: list[str], name: str | None
    ) -> tuple[WebhookRecord, str]:
        """A new webhook and its signing secret (shown this once)."""
        secret = new_secret()
        record = await self._store.webhooks.create(
            tenant,
            f"wh_{secrets.token_hex(8)}",
            name=name,
            uri=self.check_uri(uri),
            events=events,
            secret=secret,
        )
        return record, secret

    async def update(self, tenant: str, id: str, change: dict[str, Any]) -> WebhookRecord:
        """Change the fields in `change` (`uri` checked as at create)."""
        if "uri" in change:
            self.check_uri(change["uri"])
        return await self._store.webhooks.update(tenant, id, change)

    async def rotate(self, tenant: str, id: str, *, immediately: bool) -> str:
        """A new current secret; the old ones stop signing now or after 24 hours."""
        secret = new_secret()
        await self._store.webhooks.rotate(
            tenant, id, secret, keep_old_for=timedelta(0) if immediately else _GRACE
        )
        return secret

    async def ping(self, tenant: str, id: str) -> None:
        """Queue a `webhook.ping` event to this webhook (whatever its subscriptions and state)."""
        hook = await self._store.webhooks.get(tenant, id)
        if hook is None:
            raise NotFoundError("webhook", id)
        body = event_body("webhook.ping", {"webhook_id": id})
        await self._store.outbox.enqueue(
            self._store.outbox.writer(tenant, "webhook.ping", body, webhook_id=id)
        )
        self._wake()

    async def deliveries(
        self, tenant: str, id: str | None, *, page_size: int | None, page_token: str | None
    ) -> Page[DeliveryRecord]:
        """The delivery log of webhook `id` (None: of the tenant's `webhook_config` URIs)."""
        return await self._store.outbox.list(tenant, id, page_size=page_size, page_token=page_token)

    def dynamic_secret(self, tenant: str) -> str:
        """The secret that signs deliveries to this tenant's `webhook_config` URIs."""
        return dynamic_secret(self._key, tenant)

    async def execution_ended(self, execution: ExecutionRecord) -> None:
        """Queue a trigger execution's end (`trigger.execution.completed` or `.failed`) to subscribers."""
        event_type = f"trigger.execution.{'completed' if execution.status == 'completed' else 'failed'}"
        data = {
            "trigger_id": execution.trigger_id,
            "execution_id": execution.id,
            "status": execution.status,
            "interaction_id": execution.interaction_id,
            "error": execution.error,
        }
        body = event_body(event_type, {k: v for k, v in data.items() if v is not None})
        await self._store.outbox.enqueue(self._store.outbox.writer(execution.tenant, event_type, body))
        self._wake()
