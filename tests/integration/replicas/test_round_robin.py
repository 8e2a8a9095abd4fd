"""Replicas on one PostgreSQL: model-form interactions created round-robin across both each
complete exactly once (one stored row each, its steps stored once) and leave no lease behind."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import httpx
import pytest

from tests.integration.replicas.conftest import Pair
from tests.support.restartable import V

COUNT = 500
AT_ONCE = 16


async def _create_all(urls: list[str], key: str) -> list[dict[str, object]]:
    slots = asyncio.Semaphore(AT_ONCE)
    headers = {"x-goog-api-key": key}
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def one(n: int) -> dict[str, object]:
            async with slots:
                body = {"model": "scripted:echo", "input": f"message {n}"}
                answer = await client.post(f"{urls[n % len(urls)]}{V}/interactions", json=body)
                assert answer.status_code == 200, answer.text
                return dict(answer.json())

        return await asyncio.gather(*(one(n) for n in range(COUNT)))


async def _stored(url: str) -> tuple[Counter[str], Counter[int], int]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        statuses = Counter(r["status"] for r in await conn.fetch("SELECT status FROM interactions"))
        per = await conn.fetch("SELECT interaction_id, count(*) AS n FROM steps GROUP BY interaction_id")
        leases = await conn.fetchval("SELECT count(*) FROM interaction_leases")
        return statuses, Counter(int(r["n"]) for r in per), int(leases)
    finally:
        await conn.close()


@pytest.mark.timeout(300)
def test_interactions_created_round_robin_complete_exactly_once(replicas: Pair) -> None:
    a, b = replicas(WARREN_SANDBOXES="false")
    a.start()
    b.start()
    answers = asyncio.run(_create_all([a.url, b.url], a.key))
    assert Counter(str(x["status"]) for x in answers) == {"completed": COUNT}
    assert len({x["id"] for x in answers}) == COUNT
    for n, answer in enumerate(answers):
        steps = answer["steps"]
        assert isinstance(steps, list) and steps[-1]["content"][0]["text"].endswith(f"message {n}"), steps
    statuses, steps_per, leases = asyncio.run(_stored(a.env["WARREN_DATABASE_URL"]))
    assert statuses == {"completed": COUNT}, "one stored row each, every one completed"
    assert steps_per == {2: COUNT}, "each stored its input and one model output: none ran twice"
    assert leases == 0, "every lease was released with its ending"
