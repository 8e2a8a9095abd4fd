"""Per-key request rate limits: a token bucket per API key, in this process.

A key may burst up to `burst` requests, then `rate_per_s` requests a second; past that the API
answers 429 `rate_limit_exceeded` with `Retry-After`, and other keys are unaffected. The routes
see a `Limiter`; on SQLite it is this class (one process per file), on PostgreSQL the buckets
shared by every replica (`shared_ratelimit.SharedRateLimiter`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Limiter", "RateLimiter"]


class Limiter(Protocol):
    """What the routes call once per request (and per shell upgrade) of a key."""

    async def check(self, key: str) -> float:
        """Spend one request of `key`'s budget: 0.0 when allowed, else seconds until one is free."""
        ...

    def retry_after(self, wait_s: float) -> int:
        """Whole seconds for `Retry-After` (at least 1)."""
        ...


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by API key id.

    Args:
        rate_per_s: sustained requests per second per key; 0 disables limiting.
        burst: bucket size, the most requests a key may send at once.
        max_keys: buckets kept; the least recently refilled are dropped beyond it.
    """

    def __init__(self, rate_per_s: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one request of `key`'s budget: 0.0 when allowed, else seconds until one is free."""
        if self.rate_per_s <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate_per_s)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_s

    async def check(self, key: str) -> float:
        """`take` now, for the routes' `Limiter` interface."""
        return self.take(key)

    @staticmethod
    def retry_after(wait_s: float) -> int:
        """Whole seconds for `Retry-After` (at least 1)."""
        return max(1, math.ceil(wait_s))
