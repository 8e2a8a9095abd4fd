"""`service_tier` through the real app (issue 15): the tier reaches the scheduler, the interaction and
its `interaction.created` event show the tier applied (`standard` when none was asked), and an
unknown tier is refused naming the field."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.scheduler import TIERS
from tests.unit.api_app.conftest import App, start_app

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def one_slot(tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(data_dir=tmp_path / "data", sandboxes=False, max_running=1)
    async for started in start_app(settings):
        yield started


async def _create(api: App, **fields: object) -> dict[str, object]:
    body = {"model": "scripted:echo", "input": "hi", "background": True, **fields}
    answer = await api.a.post("/v1beta/interactions", json=body)
    assert answer.status_code == 200, answer.text
    created: dict[str, object] = answer.json()
    return created


async def _created_event(api: App, interaction_id: str) -> dict[str, object]:
    stream = await api.a.get(f"/v1beta/interactions/{interaction_id}", params={"stream": "true"})
    for line in stream.text.splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            event = json.loads(line[5:])
            if event["event_type"] == "interaction.created":
                created: dict[str, object] = event["interaction"]
                return created
    raise AssertionError(f"no interaction.created event in {stream.text!r}")


async def test_a_saturated_server_runs_interactions_by_tier(one_slot: App) -> None:
    """One slot, held by a blocker; interactions of each tier queued worst first run best first."""
    scheduler = one_slot.services.interactions.scheduler
    release = asyncio.Event()
    scheduler.submit("tenant-a", "blocker", release.wait)
    ids = {tier: str((await _create(one_slot, service_tier=tier))["id"]) for tier in reversed(TIERS)}
    release.set()
    for interaction_id in ids.values():
        await scheduler.wait(interaction_id)
    ended = {}
    for tier, interaction_id in ids.items():
        record = await one_slot.services.store.interactions.get("tenant-a", interaction_id)
        assert record is not None and record.status == "completed", (tier, record)
        ended[tier] = record.updated
    assert sorted(ended, key=ended.__getitem__) == list(TIERS), "one slot: each ended before the next began"


async def test_the_applied_tier_is_echoed_on_the_interaction_and_its_created_event(one_slot: App) -> None:
    default = await _create(one_slot)
    flex = await _create(one_slot, service_tier="flex")
    assert (default["service_tier"], flex["service_tier"]) == ("standard", "flex")
    for created in (default, flex):
        interaction_id = str(created["id"])
        await one_slot.services.interactions.scheduler.wait(interaction_id)
        got = (await one_slot.a.get(f"/v1beta/interactions/{interaction_id}")).json()
        assert got["service_tier"] == created["service_tier"]
        assert (await _created_event(one_slot, interaction_id))["service_tier"] == created["service_tier"]


async def test_an_unknown_tier_is_refused_naming_the_field(one_slot: App) -> None:
    answer = await one_slot.a.post(
        "/v1beta/interactions", json={"model": "scripted:echo", "input": "hi", "service_tier": "gold"}
    )
    assert answer.status_code == 400 and "service_tier" in answer.text, answer.text
