"""The background loop that empties the webhook outbox: claim due rows, post them, record each attempt.

At-least-once: a row is `delivered` only after a 2xx. A failed attempt is retried with exponential
backoff and jitter (`base * 2^(n-1)`, capped, times a random factor in [0.5, 1]) until the event
is `give_up_s` old (24 h by default); then the row is `failed`. A webhook whose deliveries keep
failing for `give_up_s` moves to `disabled_due_to_failed_deliveries` (`store.webhooks.outcome`).
A destination the address policy refuses is `refused` with the reason, and nothing is sent.
Rows are claimed with a lease (`store.outbox.claim`), so a restarted server or a second replica
carries on where this one stopped, and two never post the same attempt at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from orchestrator.egress.policy import Resolver
from orchestrator.observability.metrics import webhook_attempted
from orchestrator.store import Store
from orchestrator.store.models import utcnow
from orchestrator.store.webhook_outbox import DeliveryRecord
from orchestrator.webhooks.addresses import Refusal, resolve
from orchestrator.webhooks.sender import Outcome, post
from orchestrator.webhooks.signing import dynamic_secret, signed_headers

__all__ = ["Deliverer", "DeliveryPolicy"]

log = logging.getLogger("orchestrator.webhooks")


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard the deliverer tries (`WARREN_WEBHOOK_*` settings)."""

    backoff_base_s: float = 10.0
    """The wait after the first failed attempt; it doubles with each further one."""
    backoff_max_s: float = 3600.0
    """The longest wait between two attempts."""
    give_up_s: float = 86400.0
    """An event this old is given up; a webhook failing this long is disabled."""
    timeout_s: float = 10.0
    """One attempt's deadline (connect, send, answer)."""
    lease_s: float = 120.0
    """How long a claimed row is this process's; past it, another may take it."""
    poll_s: float = 1.0
    """How often the outbox is read when nothing wakes the loop."""
    batch: int = 16
    """Rows claimed (and posted concurrently) at a time."""

    def backoff(self, attempts: int) -> timedelta:
        """The wait after `attempts` failed attempts, with jitter."""
        wait = min(self.backoff_base_s * 2 ** (attempts - 1), self.backoff_max_s)
        return timedelta(seconds=wait * random.uniform(0.5, 1.0))  # noqa: S311 (jitter, not a secret)


class Deliverer:
    """Posts due outbox rows until closed.

    Args:
        store: the outbox, the webhooks and their secrets.
        resolver: the egress address rules (and the operator's allowance).
        policy: backoff, give-up age, lease and batch size.
        dynamic_key: the installation key `webhook_config` secrets are derived from.
        clock: the current time (tests may pass their own).
    """

    def __init__(
        self,
        store: Store,
        resolver: Resolver,
        policy: DeliveryPolicy,
        dynamic_key: bytes,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._resolver = resolver
        self._policy = policy
        self._key = dynamic_key
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client = httpx.AsyncClient(timeout=policy.timeout_s, follow_redirects=False, trust_env=False)

    def start(self) -> None:
        """Start the loop."""
        self._task = asyncio.create_task(self._loop(), name="webhook-deliverer")

    def wake(self) -> None:
        """Look at the outbox now (an event was just enqueued)."""
        self._wake.set()

    async def close(self) -> None:
        """Stop the loop; rows it held are taken again when their lease ends."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                done = await self.run_once()
            except Exception:
                log.exception("webhook delivery pass failed")
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._policy.poll_s):
                        await self._wake.wait()
                self._wake.clear()

    async def run_once(self) -> int:
        """Post every due row of one claimed batch; how many were attempted."""
        now = self._clock()
        rows = await self._store.outbox.claim(
            now, now + timedelta(seconds=self._policy.lease_s), self._policy.batch
        )
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _deliver(self, row: DeliveryRecord) -> None:
        now = self._clock()
        uri, keys = row.uri, [dynamic_secret(self._key, row.tenant)]
        if row.webhook_id is not None:
            hook = await self._store.webhooks.get(row.tenant, row.webhook_id)
            if hook is None or (hook.state != "enabled" and row.event_type != "webhook.ping"):
                why = "the webhook was deleted" if hook is None else f"the webhook is {hook.state}"
                await self._record(row, now, Outcome(None, why), state="failed")
                return
            uri, keys = hook.uri, await self._store.webhooks.signing_secrets(row.tenant, hook.id, now)
        target = await resolve(uri or "", self._resolver)
        if isinstance(target, Refusal):
            final = not target.reason.startswith("unresolvable")
            await self._failed(
                row, now, Outcome(None, f"refused: {target.reason}"), "refused" if final else None
            )
            return
        body = json.dumps(row.payload, separators=(",", ":")).encode()
        outcome = await post(self._client, target, body, signed_headers(row.message_id, now, body, keys))
        if outcome.ok:
            await self._record(row, now, outcome, state="delivered")
            if row.webhook_id is not None:
                await self._store.webhooks.outcome(
                    row.tenant, row.webhook_id, ok=True, now=now, disable_after=self._give_up
                )
            return
        await self._failed(row, now, outcome, None)

    @property
    def _give_up(self) -> timedelta:
        return timedelta(seconds=self._policy.give_up_s)

    async def _failed(self, row: DeliveryRecord, now: datetime, outcome: Outcome, state: str | None) -> None:
        state = state or ("failed" if now - row.created >= self._give_up else None)
        if row.webhook_id is not None:
            after = await self._store.webhooks.outcome(
                row.tenant, row.webhook_id, ok=False, now=now, disable_after=self._give_up
            )
            state = state if after == "enabled" or row.event_type == "webhook.ping" else "failed"
        await self._record(row, now, outcome, state=state or "pending")

    async def _record(self, row: DeliveryRecord, now: datetime, outcome: Outcome, *, state: str) -> None:
        entry = {
            "attempt": row.attempts + 1,
            "time": now.isoformat(),
            "status": outcome.status,
            "error": outcome.error,
        }
        webhook_attempted(state)  # delivered, failed, refused, or pending (a retry)
        later = now + self._policy.backoff(row.attempts + 1) if state == "pending" else now
        if not await self._store.outbox.record(row, entry, state=state, next_attempt=later):
            log.warning("webhook delivery %s: lease lost before its attempt was recorded", row.id)
