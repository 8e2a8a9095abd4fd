"""Per-key rate limits that hold across replicas: the buckets live in PostgreSQL (`store.rate_buckets`).

Several `warren serve` processes on one PostgreSQL grant a key `burst` then `rate_per_s` in sum,
not each in full. Every request costs one statement (about 0.3 ms on loopback).

If the database does not answer (an error, or nothing within `timeout_s`), the request is judged by
this process's own bucket instead, so a database hiccup never turns into 429s or 500s here; while
that lasts each replica grants the full rate, as before replicas shared anything. The first failure
of a run is logged as a warning, and the return to the shared buckets once.
"""

from __future__ import annotations

import asyncio
import logging

from orchestrator.api.ratelimit import Limiter, RateLimiter
from orchestrator.store import Store
from orchestrator.store.rate_buckets import RateBuckets

__all__ = ["SharedRateLimiter", "build_limiter"]

_log = logging.getLogger(__name__)


class SharedRateLimiter:
    """Token buckets keyed by API key id, kept in the database, with this process's as the fallback.

    Args:
        buckets: the store's shared buckets.
        rate_per_s: sustained requests per second per key; 0 disables limiting.
        burst: bucket size, the most requests a key may send at once.
        timeout_s: how long a request waits for the database before its fallback decides.
    """

    def __init__(self, buckets: RateBuckets, rate_per_s: float, burst: int, timeout_s: float = 1.0) -> None:
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)
        self._buckets = buckets
        self._timeout_s = timeout_s
        self._fallback = RateLimiter(rate_per_s, burst)
        self._failing = False

    async def check(self, key: str) -> float:
        """Spend one request of `key`'s shared budget: 0.0 when allowed, else seconds until one is free."""
        if self.rate_per_s <= 0:
            return 0.0
        try:
            async with asyncio.timeout(self._timeout_s):
                wait_s = await self._buckets.take(key, self.rate_per_s, self.burst)
        except Exception:  # any failure of the round trip: the API must keep answering
            if not self._failing:
                self._failing = True
                _log.warning("rate limits: database unavailable; using this process's buckets", exc_info=True)
            return self._fallback.take(key)
        if self._failing:
            self._failing = False
            _log.warning("rate limits: database back; using the shared buckets again")
        return wait_s

    def retry_after(self, wait_s: float) -> int:
        """Whole seconds for `Retry-After` (at least 1)."""
        return RateLimiter.retry_after(wait_s)


def build_limiter(store: Store, rate_per_s: float, burst: int) -> Limiter:
    """The shared buckets on PostgreSQL; this process's on SQLite, where one process holds the file."""
    if store.db.dialect == "postgresql":
        return SharedRateLimiter(store.rate_buckets, rate_per_s, burst)
    return RateLimiter(rate_per_s, burst)
