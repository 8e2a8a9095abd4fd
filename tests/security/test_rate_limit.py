"""Abuse: a burst on one key gets 429 with Retry-After; other keys keep their normal latency."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orchestrator.api.ratelimit import RateLimiter
from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.store import Store
from tests.support.latency import kept_latency

pytestmark = pytest.mark.security


def test_bucket_allows_the_burst_then_the_rate() -> None:
    limiter = RateLimiter(rate_per_s=10, burst=3)
    assert [limiter.take("k", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k", now=0.0)
    assert wait == pytest.approx(0.1)
    assert limiter.take("k", now=0.1) == 0.0, "a token comes back after 1/rate seconds"
    assert limiter.take("other", now=0.1) == 0.0, "buckets are per key"
    assert RateLimiter(rate_per_s=0, burst=1).take("k") == 0.0, "rate 0 turns limiting off"


@pytest.fixture
async def clients(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    data = tmp_path / "data"
    async with await Store.open(f"sqlite+aiosqlite:///{data / 'warren.db'}") as store:
        _, noisy = await store.keys.create_key("tenant-a", "noisy")
        _, quiet = await store.keys.create_key("tenant-b", "quiet")
    app = build_app(Settings(data_dir=data, sandboxes=False, rate_limit_per_s=10, rate_limit_burst=50))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with (
            httpx.AsyncClient(
                transport=transport, base_url="http://t", headers={"x-goog-api-key": noisy}
            ) as a,
            httpx.AsyncClient(
                transport=transport, base_url="http://t", headers={"x-goog-api-key": quiet}
            ) as b,
        ):
            yield a, b


async def _latencies(client: httpx.AsyncClient, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get("/v1beta/agents")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    return samples


@pytest.mark.alone
async def test_a_burst_of_1000_on_one_key_gets_429_and_other_keys_are_unaffected(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    noisy, quiet = clients
    baseline = statistics.median(await _latencies(quiet, 20))

    async def burst() -> list[httpx.Response]:
        responses: list[httpx.Response] = []
        for _ in range(100):  # 1,000 requests in waves of 10, as fast as the server answers
            responses += await asyncio.gather(*(noisy.get("/v1beta/agents") for _ in range(10)))
        return responses

    flood = asyncio.create_task(burst())
    during = await _latencies(quiet, 20)  # another key, while the flood runs: never limited
    responses = await flood
    limited = [r for r in responses if r.status_code == 429]
    assert len(responses) == 1000
    assert len(limited) >= 900, f"only {len(limited)} of 1000 were limited"
    assert {r.status_code for r in responses} == {200, 429}
    assert all(int(r.headers["retry-after"]) >= 1 for r in limited)
    assert limited[0].json()["error"]["code"] == "rate_limit_exceeded"
    assert kept_latency(baseline, statistics.median(during)), (
        f"the quiet key slowed from {baseline * 1000:.1f} ms to {statistics.median(during) * 1000:.1f} ms"
    )
