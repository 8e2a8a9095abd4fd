"""Webhooks and their outbox in the store (SQLite and PostgreSQL): secrets sealed and rotated,
events fanned out to subscribers only, and a claimed delivery held by one lease at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from orchestrator.store import Store
from orchestrator.store.errors import AlreadyExistsError, NotFoundError
from orchestrator.store.models import WebhookRow, utcnow

SECRET = "whsec_" + "A" * 40 + "wxyz"


async def _hook(store: Store, tenant: str = "t", id: str = "wh1", events: list[str] | None = None) -> None:
    await store.webhooks.create(
        tenant,
        id,
        name="n",
        uri="https://example.com/h",
        events=events or ["interaction.completed"],
        secret=SECRET,
    )


async def test_secret_is_sealed_and_shown_truncated(store: Store) -> None:
    await _hook(store)
    record = await store.webhooks.get("t", "wh1")
    assert record is not None and record.secrets[0].truncated == "whsec_...wxyz"
    async with store.db.read() as session:
        stored = (await session.scalars(select(WebhookRow))).one().secrets
    assert SECRET not in str(stored), "the secret is sealed at rest"
    assert await store.webhooks.signing_secrets("t", "wh1", utcnow()) == [SECRET]
    assert await store.webhooks.get("other", "wh1") is None
    with pytest.raises(AlreadyExistsError):
        await _hook(store)


async def test_rotation_keeps_the_old_secret_for_its_grace_then_drops_it(store: Store) -> None:
    await _hook(store)
    await store.webhooks.rotate("t", "wh1", "whsec_new", keep_old_for=timedelta(hours=24))
    now = utcnow()
    assert await store.webhooks.signing_secrets("t", "wh1", now) == ["whsec_new", SECRET]
    assert await store.webhooks.signing_secrets("t", "wh1", now + timedelta(hours=25)) == ["whsec_new"]
    await store.webhooks.rotate("t", "wh1", "whsec_newer", keep_old_for=timedelta(0))
    assert await store.webhooks.signing_secrets("t", "wh1", now) == ["whsec_newer"]


async def test_failures_for_the_give_up_time_disable_and_enabling_forgets(store: Store) -> None:
    await _hook(store)
    t0, day = utcnow(), timedelta(hours=24)
    assert await store.webhooks.outcome("t", "wh1", ok=False, now=t0, disable_after=day) == "enabled"
    later = t0 + day
    assert await store.webhooks.outcome("t", "wh1", ok=False, now=later, disable_after=day) == (
        "disabled_due_to_failed_deliveries"
    )
    record = await store.webhooks.update("t", "wh1", {"state": "enabled"})
    assert record.state == "enabled" and record.failing_since is None


async def test_events_go_to_enabled_subscribers_of_the_tenant_only(store: Store) -> None:
    await _hook(store, id="yes")
    await _hook(store, id="other-event", events=["interaction.failed"])
    await _hook(store, id="off")
    await store.webhooks.update("t", "off", {"state": "disabled"})
    await _hook(store, tenant="u", id="foreign")
    await store.outbox.enqueue(store.outbox.writer("t", "interaction.completed", {"type": "x"}))
    now = utcnow()
    claimed = await store.outbox.claim(now, now + timedelta(seconds=60), 10)
    assert [(d.tenant, d.webhook_id) for d in claimed] == [("t", "yes")]


async def test_a_claimed_delivery_has_one_holder_and_only_it_records(store: Store) -> None:
    await _hook(store)
    await store.outbox.enqueue(store.outbox.writer("t", "interaction.completed", {"type": "x"}))
    now = utcnow()
    first = await store.outbox.claim(now, now + timedelta(seconds=60), 10)
    assert len(first) == 1
    assert await store.outbox.claim(now, now + timedelta(seconds=60), 10) == [], "the lease holds"
    after = now + timedelta(seconds=61)
    second = await store.outbox.claim(after, after + timedelta(seconds=60), 10)
    assert [d.id for d in second] == [first[0].id], "an expired lease is taken over"
    entry = {"attempt": 1, "time": now.isoformat(), "status": 500, "error": "HTTP 500"}
    assert not await store.outbox.record(first[0], entry, state="delivered", next_attempt=now), "stale lease"
    assert await store.outbox.record(second[0], entry, state="pending", next_attempt=after)
    log = await store.outbox.list("t", "wh1")
    assert [d.log for d in log.items] == [[entry]] and log.items[0].state == "pending"


async def test_delete_drops_pending_deliveries(store: Store) -> None:
    await _hook(store)
    await store.outbox.enqueue(store.outbox.writer("t", "interaction.completed", {"type": "x"}))
    await store.webhooks.delete("t", "wh1")
    now = utcnow()
    assert await store.outbox.claim(now, now + timedelta(seconds=60), 10) == []
    with pytest.raises(NotFoundError):
        await store.webhooks.delete("t", "wh1")
