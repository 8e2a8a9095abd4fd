"""Per-key rate limits across replicas: two apps on one PostgreSQL grant a key its rate in sum.

Also: when the database goes away, the limiter judges by this process's bucket and logs it once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import text

from orchestrator.api.shared_ratelimit import SharedRateLimiter
from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.store import Database, Store
from tests.support.postgres import PostgresServer
from tests.unit.api_app.conftest import client
from tests.unit.store.conftest import postgres

__all__ = ["postgres"]

RATE, BURST = 5.0, 5
"""The key's limit: small, so a few hundred requests spend it many times over."""
DURATION_S = 2.0
"""How long requests are sent, alternately to each app."""
SLACK = 1
"""Float rounding of the refill; the bound itself already uses the whole measured elapsed time."""
LIMITER_LOG = "orchestrator.api.shared_ratelimit"


@pytest.fixture
async def pg_url(postgres: PostgresServer) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database."""
    url = await postgres.create_database()
    yield url
    await postgres.drop_database(url.rsplit("/", 1)[1])


async def test_two_replicas_grant_one_key_its_rate_in_sum(pg_url: str, tmp_path: Path) -> None:
    async with await Store.open(pg_url) as store:
        _, key = await store.keys.create_key("tenant-a", "a")
    statuses: list[list[int]] = [[], []]
    async with AsyncExitStack() as stack:
        clients = []
        for name in ("a", "b"):
            settings = Settings(
                data_dir=tmp_path / name,
                database_url=pg_url,
                sandboxes=False,
                rate_limit_per_s=RATE,
                rate_limit_burst=BURST,
            )
            app = build_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients.append(await stack.enter_async_context(client(app, key)))
        start = time.monotonic()
        while time.monotonic() - start < DURATION_S:
            for replica, http in enumerate(clients):
                statuses[replica].append((await http.get("/v1beta/whoami")).status_code)
        elapsed = time.monotonic() - start
    sent = [s for pair in zip(*statuses, strict=True) for s in pair]
    granted = sent.count(200)
    shared_bound = BURST + RATE * elapsed + SLACK
    assert set(sent) == {200, 429}, sent
    assert sent[:BURST] == [200] * BURST, "the burst is granted at once, across both replicas"
    assert all(429 in s and 200 in s for s in statuses), "each replica granted and refused some"
    assert len(sent) > 2 * shared_bound, "enough load that two separate buckets would have granted more"
    assert granted <= shared_bound, (
        f"{granted} requests granted in {elapsed:.2f} s; one shared bucket allows {shared_bound:.1f},"
        f" two per-process buckets would allow about {2 * (BURST + RATE * elapsed):.0f}"
    )


async def test_a_database_outage_falls_back_to_this_process_and_logs_once(
    pg_url: str, postgres: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LIMITER_LOG)

    def logged() -> list[str]:  # the store's own notices (its listener's, say) are not this test's
        return [r.message for r in caplog.records if r.name == LIMITER_LOG]

    store = await Store.open(pg_url)
    limiter = SharedRateLimiter(store.rate_buckets, 0.01, 3)
    try:
        assert [await limiter.check("key_a") for _ in range(3)] == [0.0] * 3
        assert await limiter.check("key_a") > 0.0, "the shared bucket is spent"
        name = pg_url.rsplit("/", 1)[1]
        await postgres.drop_database(name)
        waits = [await limiter.check("key_a") for _ in range(5)]
        assert waits[:3] == [0.0] * 3 and waits[3] > 0.0, "this process's own bucket, full at first"
        assert logged() == ["rate limits: database unavailable; using this process's buckets"], (
            "logged once for the whole outage"
        )
        await postgres.create_database(name)
        async with Database(pg_url) as db:
            await db.migrate()
        assert await limiter.check("key_b") == 0.0
        async with store.db.read() as session:
            rows = (await session.execute(text("SELECT key_id FROM rate_buckets"))).scalars().all()
        assert rows == ["key_b"], "back on the shared buckets"
        assert logged()[1:] == ["rate limits: database back; using the shared buckets again"]
    finally:
        await store.close()
