"""The one retry policy every provider uses, so behaviour under load is the same for all vendors.

Full-jitter exponential backoff on what `retry_signals` calls retryable (429, 408, 5xx,
connection errors, timeouts); a vendor's `Retry-After` wins over the computed delay; every
attempt has a per-call timeout and the whole call a total deadline; any other status (400, 401,
403, 404...) fails at once. The SDKs' own retries are switched off so the two never stack.

Streams are retried only until their first event: once text has reached a client it cannot be
taken back, so a failure after that point is final.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.gateway.errors import ProviderError, ProviderTimeoutError
from orchestrator.observability.calls import model_retried

__all__ = ["Retrier", "RetryPolicy"]

T = TypeVar("T")


class RetryPolicy(BaseModel):
    """Limits of the retry loop; one instance is shared by every provider of a process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(default=5, ge=1)
    """Attempts in all, including the first."""
    base_delay_s: float = Field(default=1.0, ge=0)
    """Backoff cap of the first retry, in seconds; doubles on each further retry."""
    max_delay_s: float = Field(default=30.0, ge=0)
    """Upper bound of one computed backoff, in seconds."""
    call_timeout_s: float = Field(default=120.0, gt=0)
    """Longest wait for one attempt (or, when streaming, for the next event), in seconds."""
    deadline_s: float = Field(default=300.0, gt=0)
    """Longest time for the whole call, retries and waits included, in seconds."""


class Retrier:
    """Runs attempts under a `RetryPolicy`; clock, sleep and randomness are injectable for tests.

    Attempts must raise `ProviderError` (providers translate their SDK's exceptions first); a
    `ProviderError` with `retryable=False` ends the loop at once.
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rand = rand

    def backoff_s(self, retry: int, error: ProviderError) -> float:
        """Delay before retry number `retry` (1-based): the vendor's ask, else full jitter."""
        if error.retry_after_s is not None:
            return error.retry_after_s
        cap = min(self.policy.max_delay_s, self.policy.base_delay_s * 2.0 ** (retry - 1))
        return float(self._rand() * cap)

    async def run(self, provider: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Call `attempt` until it succeeds, fails for good, or the attempts or deadline run out."""
        start = self._clock()
        for number in range(1, self.policy.max_attempts + 1):
            timeout = self._attempt_timeout(start)
            try:
                async with asyncio.timeout(timeout):
                    return await attempt()
            except TimeoutError:
                error: ProviderError = self._timeout_error(provider, timeout, start)
            except ProviderError as exc:
                error = exc
            await self._before_retry(provider, number, error, start)
        raise AssertionError("unreachable")  # pragma: no cover

    async def stream(self, provider: str, open_stream: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
        """Yield from a fresh `open_stream()` per attempt; retry only while nothing was yielded yet."""
        start = self._clock()
        for number in range(1, self.policy.max_attempts + 1):
            started = False
            iterator = open_stream()
            try:
                while True:
                    timeout = self._attempt_timeout(start)
                    try:
                        async with asyncio.timeout(timeout):
                            item = await anext(iterator)
                    except StopAsyncIteration:
                        return
                    except TimeoutError:
                        raise self._timeout_error(provider, timeout, start) from None
                    started = True
                    yield item
            except ProviderError as error:
                if started:
                    raise
                await self._before_retry(provider, number, error, start)
            finally:
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    await aclose()

    def _attempt_timeout(self, start: float) -> float:
        remaining = self.policy.deadline_s - (self._clock() - start)
        return max(0.001, min(self.policy.call_timeout_s, remaining))

    def _timeout_error(self, provider: str, timeout: float, start: float) -> ProviderTimeoutError:
        elapsed = self._clock() - start
        which = "total deadline" if elapsed >= self.policy.deadline_s - 0.01 else "per-call timeout"
        return ProviderTimeoutError(
            provider,
            None,
            f"no answer within {timeout:.3g} s ({which}; deadline {self.policy.deadline_s:g} s)",
            retryable=True,
        )

    async def _before_retry(self, provider: str, number: int, error: ProviderError, start: float) -> None:
        """Sleep before the next attempt, or raise `error` when no further attempt is allowed."""
        error.attempts = number
        if not error.retryable or number >= self.policy.max_attempts:
            raise error
        delay = self.backoff_s(number, error)
        remaining = self.policy.deadline_s - (self._clock() - start)
        if delay >= remaining:
            error.message += f" (gave up: next retry in {delay:.3g} s would pass the deadline)"
            raise error
        model_retried(provider)
        await self._sleep(delay)
