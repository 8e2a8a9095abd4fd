"""The deliverer against a loopback receiver the test starts: retries with backoff until a 2xx, once;
signatures that `standardwebhooks` verifies; a restart that still delivers; the address policy
deciding before any connection; a webhook that keeps failing is disabled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress.policy import Resolver
from orchestrator.errors import InvalidArgument
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionRecord
from orchestrator.store.models import utcnow
from orchestrator.store.sealing import Sealer
from orchestrator.webhooks.deliverer import Deliverer, DeliveryPolicy
from orchestrator.webhooks.events import WebhookEvents, event_body
from orchestrator.webhooks.service import WebhookService
from orchestrator.webhooks.signing import dynamic_secret
from tests.unit.webhooks.receiver import Scripted, scripted_receiver

KEY = b"k" * 32
FAST = DeliveryPolicy(backoff_base_s=0.01, backoff_max_s=0.02, poll_s=0.01)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as opened:
        yield opened


def _resolver(receiver: Scripted | None = None, hosts: dict[str, str] | None = None) -> Resolver:
    allow = [AddressAllowance.parse(f"127.0.0.1:{receiver.port}")] if receiver else []
    return Resolver(allow=allow, hosts=hosts or {})


async def _until_accepted(deliverer: Deliverer, receiver: Scripted) -> None:
    for _ in range(500):  # a bound on passes, not a time: each pass waits out a ~0.02 s backoff
        await deliverer.run_once()
        if receiver.accepted():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never accepted; got {[r['status'] for r in receiver.requests]}")


async def _event(store: Store, tenant: str = "t") -> None:
    body = event_body("interaction.completed", {"interaction_id": "i1", "status": "completed"})
    await store.outbox.enqueue(store.outbox.writer(tenant, "interaction.completed", body))


async def test_three_500s_then_200_is_accepted_once_with_the_retries_logged(store: Store) -> None:
    with scripted_receiver([500, 500, 500]) as receiver:
        resolver = _resolver(receiver)
        service = WebhookService(store, resolver, KEY, lambda: None)
        hook, secret = await service.create(
            "t", uri=receiver.url, events=["interaction.completed"], name=None
        )
        await _event(store)
        deliverer = Deliverer(store, resolver, FAST, KEY)
        try:
            await _until_accepted(deliverer, receiver)
            assert await deliverer.run_once() == 0, "nothing is left to deliver"
        finally:
            await deliverer.close()
    assert [r["status"] for r in receiver.requests] == [500, 500, 500, 200]
    assert len(receiver.accepted()) == 1
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1, "one message id per event"
    for request in receiver.requests:
        event = Webhook(secret).verify(request["body"], request["headers"])
        assert event["type"] == "interaction.completed" and event["data"]["interaction_id"] == "i1"
    log = (await service.deliveries("t", hook.id, page_size=None, page_token=None)).items
    assert [(d.state, [a["status"] for a in d.log]) for d in log] == [("delivered", [500, 500, 500, 200])]
    assert [a["error"] for a in log[0].log][:3] == ["HTTP 500"] * 3


async def test_a_restart_during_the_backoff_still_delivers(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    with scripted_receiver([500]) as receiver:
        resolver = _resolver(receiver)
        async with await Store.open(url, sealer=Sealer(KEY)) as first:
            service = WebhookService(first, resolver, KEY, lambda: None)
            hook, _ = await service.create("t", uri=receiver.url, events=["interaction.completed"], name=None)
            await _event(first)
            slow = Deliverer(first, resolver, DeliveryPolicy(backoff_base_s=0.05, backoff_max_s=0.05), KEY)
            assert await slow.run_once() == 1
            await slow.close()
        assert [r["status"] for r in receiver.requests] == [500]
        async with await Store.open(url, sealer=Sealer(KEY)) as second:
            deliverer = Deliverer(second, resolver, FAST, KEY)
            try:
                await _until_accepted(deliverer, receiver)
            finally:
                await deliverer.close()
            log = (await second.outbox.list("t", hook.id)).items
    assert [r["status"] for r in receiver.requests] == [500, 200]
    assert [a["status"] for a in log[0].log] == [500, 200] and log[0].state == "delivered"


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("http://127.0.0.1:9/x", "loopback"),
        ("http://169.254.169.254/latest", "link-local"),
        ("http://[::1]/", "loopback"),
    ],
)
async def test_a_forbidden_literal_is_refused_at_create_naming_uri(store: Store, uri: str, why: str) -> None:
    service = WebhookService(store, _resolver(), KEY, lambda: None)
    with pytest.raises(InvalidArgument) as caught:
        await service.create("t", uri=uri, events=["interaction.completed"], name=None)
    assert caught.value.field == "uri" and why in caught.value.message
    assert (await store.webhooks.list("t")).items == [], "nothing stored"


async def test_a_name_resolving_to_a_forbidden_address_is_refused_before_connecting(store: Store) -> None:
    with scripted_receiver() as receiver:  # the name points at it, but the operator allowed nothing
        resolver = _resolver(hosts={"hooks.internal": "127.0.0.1", "private.internal": "10.0.0.7"})
        service = WebhookService(store, resolver, KEY, lambda: None)
        first, _ = await service.create(
            "t", uri=f"http://hooks.internal:{receiver.port}/", events=["interaction.completed"], name=None
        )
        second, _ = await service.create(
            "t", uri="http://private.internal:8080/", events=["interaction.completed"], name=None
        )
        await _event(store)
        deliverer = Deliverer(store, resolver, FAST, KEY)
        try:
            assert await deliverer.run_once() == 2
        finally:
            await deliverer.close()
    assert receiver.requests == [], "no connection was made"
    for hook, why in ((first, "127.0.0.1: loopback"), (second, "10.0.0.7: private")):
        [delivery] = (await store.outbox.list("t", hook.id)).items
        assert delivery.state == "refused" and why in delivery.log[0]["error"]


async def test_webhook_config_uris_replace_the_webhooks_and_carry_user_metadata(store: Store) -> None:
    with scripted_receiver() as dynamic, scripted_receiver() as static:
        resolver = Resolver(allow=[AddressAllowance.parse(f"127.0.0.1:{r.port}") for r in (dynamic, static)])
        service = WebhookService(store, resolver, KEY, lambda: None)
        await service.create("t", uri=static.url, events=["interaction.failed"], name=None)
        request = {"webhook_config": {"uris": [dynamic.url], "user_metadata": {"run": 7}}}
        record = InteractionRecord.model_construct(id="i9", tenant="t", status="failed", request=request)
        writer = WebhookEvents(store, lambda: None, lambda uri, field: uri).ending("t", record)
        assert writer is not None
        await store.outbox.enqueue(writer)
        deliverer = Deliverer(store, resolver, FAST, KEY)
        try:
            await _until_accepted(deliverer, dynamic)
        finally:
            await deliverer.close()
    assert static.requests == []
    [got] = dynamic.requests
    event = Webhook(dynamic_secret(KEY, "t")).verify(got["body"], got["headers"])
    assert event["type"] == "interaction.failed"
    assert event["data"] == {"interaction_id": "i9", "status": "failed", "user_metadata": {"run": 7}}
    assert service.dynamic_secret("t") != service.dynamic_secret("u"), "each tenant has its own"


async def test_a_webhook_failing_for_the_give_up_time_is_disabled(store: Store) -> None:
    with scripted_receiver([500] * 10) as receiver:
        resolver = _resolver(receiver)
        service = WebhookService(store, resolver, KEY, lambda: None)
        hook, _ = await service.create("t", uri=receiver.url, events=["interaction.completed"], name=None)
        await _event(store)
        clock = [utcnow()]
        policy = DeliveryPolicy(backoff_base_s=60, backoff_max_s=3600, give_up_s=86400)
        deliverer = Deliverer(store, resolver, policy, KEY, clock=lambda: clock[0])
        try:
            assert await deliverer.run_once() == 1
            clock[0] += timedelta(hours=25)
            assert await deliverer.run_once() == 1
            assert await deliverer.run_once() == 0, "given up: no further attempt"
        finally:
            await deliverer.close()
    record = await store.webhooks.get("t", hook.id)
    assert record is not None and record.state == "disabled_due_to_failed_deliveries"
    [delivery] = (await store.outbox.list("t", hook.id)).items
    assert delivery.state == "failed" and delivery.attempts == 2


def test_event_bodies_are_json_with_type_timestamp_and_data() -> None:
    body = event_body("webhook.ping", {"webhook_id": "w"})
    assert json.loads(json.dumps(body))["type"] == "webhook.ping"
    assert datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00")).tzinfo is not None


async def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(store: Store) -> None:
    """`hooks.test` has no DNS record: only the policy's answer (127.0.0.1) can have been used."""
    with scripted_receiver() as receiver:
        resolver = Resolver(
            allow=[AddressAllowance.parse(f"127.0.0.1:{receiver.port}")], hosts={"hooks.test": "127.0.0.1"}
        )
        service = WebhookService(store, resolver, KEY, lambda: None)
        await service.create(
            "t", uri=f"http://hooks.test:{receiver.port}/in?x=1", events=["interaction.completed"], name=None
        )
        await _event(store)
        deliverer = Deliverer(store, resolver, FAST, KEY)
        try:
            await _until_accepted(deliverer, receiver)
        finally:
            await deliverer.close()
    [got] = receiver.requests
    assert got["headers"]["host"] == f"hooks.test:{receiver.port}" and got["path"] == "/in?x=1"
