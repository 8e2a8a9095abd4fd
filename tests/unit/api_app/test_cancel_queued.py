"""An interaction cancelled (or deleted) while it waits for a slot ends `cancelled` at once, with its
final events, instead of staying `in_progress` for good (and being resumed after a restart)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.config import Settings
from tests.unit.api_app.conftest import App, start_app

SLOW = {"description": "slow", "delta_delay_s": 0.3, "turns": [{"text": "a b c d e f g h i j"}]}


@pytest.fixture
async def one_slot(tmp_path: Path) -> AsyncIterator[App]:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "slow.json").write_text(json.dumps(SLOW))
    settings = Settings(
        data_dir=tmp_path / "data", sandboxes=False, max_running_per_tenant=1, scripts_dir=scripts
    )
    async for started in start_app(settings):
        yield started


async def _create(api: App, model: str) -> str:
    answer = await api.a.post(
        "/v1beta/interactions", json={"model": model, "input": "hi", "background": True}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


async def test_cancelling_a_queued_interaction_ends_it_cancelled(one_slot: App) -> None:
    running = await _create(one_slot, "scripted:slow")
    queued = await _create(one_slot, "scripted:echo")  # waits: the tenant's one slot is taken
    await asyncio.sleep(0.1)
    assert (await one_slot.a.get(f"/v1beta/interactions/{queued}")).json()["status"] == "in_progress"
    cancelled = await one_slot.a.post(f"/v1beta/interactions/{queued}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    stream = await one_slot.a.get(f"/v1beta/interactions/{queued}", params={"stream": "true"})
    data = [line[5:].strip() for line in stream.text.splitlines() if line.startswith("data:")]
    kinds = [json.loads(item)["event_type"] for item in data if item != "[DONE]"]
    assert kinds[-1] == "interaction.completed", "a reader of its stream sees the end"
    assert (await one_slot.a.get(f"/v1beta/interactions/{running}")).json()["status"] == "in_progress"


async def test_deleting_a_queued_interaction_frees_its_place(one_slot: App) -> None:
    await _create(one_slot, "scripted:slow")
    queued = await _create(one_slot, "scripted:echo")
    assert (await one_slot.a.delete(f"/v1beta/interactions/{queued}")).status_code == 200
    assert (await one_slot.a.get(f"/v1beta/interactions/{queued}")).status_code == 404
    assert one_slot.services.interactions.scheduler.queued("tenant-a") == 0
