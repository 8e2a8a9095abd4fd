"""An interaction a dead process left, ended `failed` at start-up, still tells its webhooks: the event
is queued in the ending's transaction and the deliverer is woken."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress.policy import Resolver
from orchestrator.interactions.ending import fail_interaction
from orchestrator.store import InteractionCreate, Store
from orchestrator.store.models import utcnow
from orchestrator.webhooks.events import WebhookEvents
from orchestrator.webhooks.service import WebhookService

KEY = b"k" * 32


async def test_an_interaction_failed_at_restart_queues_its_webhook_event(tmp_path: Path) -> None:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as store:
        resolver = Resolver(allow=[AddressAllowance.parse("127.0.0.1:9")])
        service = WebhookService(store, resolver, KEY, lambda: None)
        hook, _secret = await service.create(
            "t", uri="http://127.0.0.1:9/h", events=["interaction.failed"], name=None
        )
        record = await store.interactions.create("t", InteractionCreate(request={}, model="scripted:echo"))
        woken: list[bool] = []
        events = WebhookEvents(store, lambda: woken.append(True), service.check_uri)
        await fail_interaction(store, record, events)
        now = utcnow()
        [delivery] = await store.outbox.claim(now + timedelta(seconds=1), now + timedelta(minutes=1), 10)
        assert delivery.webhook_id == hook.id
        assert delivery.event_type == delivery.payload["type"] == "interaction.failed"
        assert delivery.payload["data"]["interaction_id"] == record.id
        assert woken == [True], "the deliverer is woken once the ending is committed"
