"""The one retry policy, on a fake clock: backoff, Retry-After, attempts, deadline, streams."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import AsyncIterator

import pytest

from orchestrator.gateway import ProviderError, ProviderTimeoutError, Retrier, RetryPolicy
from orchestrator.gateway.retry_signals import is_retryable_status, retry_after_s
from orchestrator.gateway.vendor_errors import redact, vendor_message


class FakeClock:
    """A monotonic clock that only moves when the retrier sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def retrier(clock: FakeClock, **policy: float) -> Retrier:
    settings = {"max_attempts": 5, "base_delay_s": 1.0, "max_delay_s": 8.0, "deadline_s": 100.0, **policy}
    return Retrier(RetryPolicy(**settings), sleep=clock.sleep, clock=clock, rand=lambda: 1.0)  # type: ignore[arg-type]


def failing(*errors: ProviderError, result: str = "ok") -> tuple[list[int], object]:
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return calls, attempt


def err(status: int | None, retry_after: float | None = None) -> ProviderError:
    return ProviderError("x", status, "m", retryable=is_retryable_status(status), retry_after_s=retry_after)


def test_retryable_statuses() -> None:
    assert all(is_retryable_status(s) for s in (408, 429, 500, 502, 503, 529))
    assert not any(is_retryable_status(s) for s in (None, 400, 401, 403, 404, 422))


def test_retry_after_forms() -> None:
    assert retry_after_s({"Retry-After": "3"}) == 3.0
    assert retry_after_s({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_s({"Retry-After": date}, now=1_000_000) == pytest.approx(30)
    assert retry_after_s({"Retry-After": "soon"}) is None
    assert retry_after_s({}) is None and retry_after_s(None) is None


async def test_full_jitter_exponential_backoff_then_success() -> None:
    clock = FakeClock()
    calls, attempt = failing(err(500), err(503), err(429))
    assert await retrier(clock).run("x", attempt) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]  # rand() = 1.0 gives each cap: base * 2^(n-1)


async def test_jitter_stays_under_the_cap() -> None:
    clock = FakeClock()
    r = Retrier(RetryPolicy(base_delay_s=1, max_delay_s=3), sleep=clock.sleep, clock=clock)
    delays = [r.backoff_s(n, err(500)) for n in range(1, 8) for _ in range(20)]
    assert all(0 <= d <= 3 for d in delays) and len(set(delays)) > 10


async def test_retry_after_wins_over_backoff() -> None:
    clock = FakeClock()
    _, attempt = failing(err(429, retry_after=7.5))
    await retrier(clock).run("x", attempt)  # type: ignore[arg-type]
    assert clock.sleeps == [7.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_fail_at_once(status: int) -> None:
    clock = FakeClock()
    calls, attempt = failing(err(status))
    with pytest.raises(ProviderError) as caught:
        await retrier(clock).run("x", attempt)  # type: ignore[arg-type]
    assert caught.value.status_code == status and len(calls) == 1 and clock.sleeps == []


async def test_attempts_run_out() -> None:
    clock = FakeClock()
    calls, attempt = failing(*[err(500)] * 10)
    with pytest.raises(ProviderError) as caught:
        await retrier(clock, max_attempts=3).run("x", attempt)  # type: ignore[arg-type]
    assert len(calls) == 3 and caught.value.attempts == 3 and "after 3 attempts" in str(caught.value)


async def test_deadline_stops_a_retry_that_would_overrun_it() -> None:
    clock = FakeClock()
    calls, attempt = failing(err(429, retry_after=60))
    with pytest.raises(ProviderError, match="would pass the deadline"):
        await retrier(clock, deadline_s=30).run("x", attempt)  # type: ignore[arg-type]
    assert len(calls) == 1 and clock.sleeps == []


async def test_per_call_timeout_is_retried_and_reported() -> None:
    calls = []

    async def attempt() -> str:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(5)
        return "second"

    fast = Retrier(RetryPolicy(base_delay_s=0, call_timeout_s=0.05, deadline_s=2))
    assert await fast.run("x", attempt) == "second"
    never = Retrier(RetryPolicy(max_attempts=2, base_delay_s=0, call_timeout_s=0.05, deadline_s=2))

    async def hang() -> str:
        await asyncio.sleep(5)
        return "never"

    with pytest.raises(ProviderTimeoutError, match="per-call timeout") as caught:
        await never.run("x", hang)
    assert isinstance(caught.value, TimeoutError) and caught.value.attempts == 2


async def test_stream_retries_only_before_the_first_item() -> None:
    opened: list[int] = []

    def opener(fail_after: int | None, fail_first: int) -> object:
        async def gen() -> AsyncIterator[int]:
            opened.append(1)
            if len(opened) <= fail_first:
                raise err(503)
            for i in range(3):
                if fail_after is not None and i == fail_after:
                    raise err(500)
                yield i

        return gen

    clock = FakeClock()
    items = [i async for i in retrier(clock).stream("x", opener(None, 2))]  # type: ignore[arg-type]
    assert items == [0, 1, 2] and len(opened) == 3
    opened.clear()
    got: list[int] = []
    with pytest.raises(ProviderError):
        async for i in retrier(clock).stream("x", opener(1, 0)):  # type: ignore[arg-type]
            got.append(i)
    assert got == [0] and len(opened) == 1


def test_redaction_and_vendor_messages() -> None:
    key = "sk-live-abcdefghijklmnopqrstuvwxyz"
    assert key not in redact(f"bad key {key}", [key])
    assert key[:12] not in redact(f"Incorrect API key provided: {key[:12]}****wxyz", [key])
    assert vendor_message({"error": {"message": "nope"}}, "x") == "nope"
    assert vendor_message({"type": "error", "error": {"type": "t", "message": "m"}}, "x") == "m"
    assert vendor_message("html", "fallback") == "fallback"
