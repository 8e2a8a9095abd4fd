"""A stream opened on one replica follows an interaction another replica runs (issue 20, item 1).

Two apps share one PostgreSQL database, each with its own data folder, as two `warren serve`
processes would. B runs a slow background interaction; a stream opened on A while it runs gets
every event, in order, through the terminal one: the events B stores, woken by PostgreSQL's NOTIFY
(`Store.notices`), read from the store. Resuming A's stream after an event id gives the rest only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.postgres import PostgresServer, postgres_server
from tests.unit.api_app.two_replicas import two_replicas

SLOW = """\
description: slow text (deltas 0.15 s apart), so a stream opens while the interaction runs
delta_delay_s: 0.15
turns:
  - text: "one two three four five six"
"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
async def replicas(postgres: PostgresServer, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    """Clients of replicas A and B (one key, one database, two data folders)."""
    async with two_replicas(postgres, tmp_path, {"slow": SLOW}) as (a, b, _, _):
        yield a, b


async def _stream(
    replica: httpx.AsyncClient, interaction_id: str, after: str | None = None
) -> list[dict[str, Any]]:
    params = {"stream": "true", **({"last_event_id": after} if after is not None else {})}
    events = []
    async with replica.stream("GET", f"/v1beta/interactions/{interaction_id}", params=params) as answer:
        assert answer.status_code == 200
        async for line in answer.aiter_lines():
            if line.startswith("data: {"):
                events.append(json.loads(line.removeprefix("data: ")))
    return events


async def test_a_stream_on_a_follows_an_interaction_running_on_b(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = replicas
    created = await b.post(
        "/v1beta/interactions", json={"model": "scripted:slow", "input": "go", "background": True}
    )
    assert created.status_code == 200, created.text
    interaction_id = created.json()["id"]
    assert (await a.get(f"/v1beta/interactions/{interaction_id}")).json()["status"] == "in_progress"

    seen_on_a = await asyncio.wait_for(_stream(a, interaction_id), 60)

    assert (await a.get(f"/v1beta/interactions/{interaction_id}")).json()["status"] == "completed"
    replayed_on_b = await _stream(b, interaction_id)
    assert seen_on_a == replayed_on_b
    assert [event["event_id"] for event in seen_on_a] == [str(i) for i in range(len(seen_on_a))]
    assert seen_on_a[-1]["event_type"] == "interaction.completed"
    text = "".join(e["delta"].get("text", "") for e in seen_on_a if e["event_type"] == "step.delta")
    assert "one two three four five six" in text

    rest = await _stream(a, interaction_id, after="2")
    assert rest == seen_on_a[3:]
