"""Token accounting off the request path: usage is summed in memory and written once a second.

Per-tenant and per-key counters need not be exact to the millisecond, and one upsert per
interaction cost more than the rest of a short interaction's writes. A crash loses at most the last
interval's counts; the interactions themselves keep their own usage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from orchestrator.store import Store

__all__ = ["UsageMeter"]

log = logging.getLogger("orchestrator.usage")
_Key = tuple[str, str | None]


class UsageMeter:
    """Sums wire Usage objects per (tenant, API key) and flushes them to the store in the background."""

    def __init__(self, store: Store, every_s: float = 1.0) -> None:
        self.store = store
        self.every_s = every_s
        self._pending: defaultdict[_Key, dict[str, int]] = defaultdict(dict)
        self._task: asyncio.Task[None] | None = None

    def add(self, tenant: str, api_key_id: str | None, usage: dict[str, int]) -> None:
        """Count one finished interaction and its tokens."""
        totals = self._pending[(tenant, api_key_id)]
        totals["interactions"] = totals.get("interactions", 0) + 1
        for name, value in usage.items():
            totals[name] = totals.get(name, 0) + int(value or 0)

    def pending_tokens(self, tenant: str) -> int:
        """The tenant's `total_tokens` counted but not yet written: quotas add them to the stored sums."""
        return sum(
            int(totals.get("total_tokens", 0))
            for (owner, _key), totals in self._pending.items()
            if owner == tenant
        )

    async def flush(self) -> None:
        """Write what was counted since the last flush."""
        pending, self._pending = self._pending, defaultdict(dict)
        for (tenant, api_key_id), totals in pending.items():
            interactions = totals.pop("interactions", 0)
            await self.store.usage.record(tenant, totals, api_key_id=api_key_id, interactions=interactions)

    def start(self) -> None:
        """Flush every `every_s` seconds until `close`."""
        self._task = asyncio.create_task(self._run(), name="usage-meter")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.flush()
            except Exception:  # a failed flush must not stop accounting; the counts are retried
                log.exception("writing usage counters failed")

    async def close(self) -> None:
        """Stop the loop and write the last counts."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
