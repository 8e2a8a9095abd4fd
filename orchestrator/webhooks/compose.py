"""The webhook parts built together, for the composition root (`orchestrator.compose`).

The deliverer, the API's service and the interaction engine's events share one store and one
wake-up, so they are made here in one place; `compose.running` starts and closes the deliverer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from orchestrator.address_allowance import AddressAllowance
from orchestrator.config import Settings
from orchestrator.egress.policy import Resolver
from orchestrator.store import Store
from orchestrator.store.sealing import load_key
from orchestrator.webhooks.deliverer import Deliverer, DeliveryPolicy
from orchestrator.webhooks.events import WebhookEvents
from orchestrator.webhooks.service import WebhookService

__all__ = ["Webhooks", "build_webhooks"]


@dataclass(frozen=True)
class Webhooks:
    """The three webhook parts."""

    service: WebhookService
    deliverer: Deliverer
    events: WebhookEvents


async def build_webhooks(settings: Settings, store: Store) -> Webhooks:
    """The webhook parts for `settings`: the egress address rules, the installation key, the backoff."""
    allow = [AddressAllowance.parse(item) for item in settings.egress_allow_addresses]
    resolver = Resolver(allow=allow, hosts=dict(settings.egress_hosts))
    configured = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    key = await asyncio.to_thread(load_key, settings.data_dir, configured)
    policy = DeliveryPolicy(
        backoff_base_s=settings.webhook_backoff_base_s,
        backoff_max_s=settings.webhook_backoff_max_s,
        give_up_s=settings.webhook_give_up_s,
        timeout_s=settings.webhook_timeout_s,
        poll_s=settings.webhook_poll_s,
    )
    deliverer = Deliverer(store, resolver, policy, key)
    service = WebhookService(store, resolver, key, deliverer.wake)
    return Webhooks(
        service=service, deliverer=deliverer, events=WebhookEvents(store, deliverer.wake, service.check_uri)
    )
