"""Abuse / cost blow-up: per-tenant caps on running sandboxes and model tokens (429; others unaffected)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from orchestrator.config import Settings
from orchestrator.quotas import tokens_used
from tests.unit.api_app.conftest import App, start_app

pytestmark = pytest.mark.security


def _refused(response: httpx.Response, setting: str) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert setting in error["message"], error["message"]


# ---- tokens ------------------------------------------------------------------------------------


@pytest.fixture
async def token_api(tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(data_dir=tmp_path / "data", sandboxes=False, tenant_token_limit=1000)
    async for started in start_app(settings):
        yield started


async def test_tenant_token_quota_refuses_new_interactions_with_429(token_api: App) -> None:
    body = {"model": "scripted:echo", "input": "hello"}
    first = await token_api.a.post("/v1beta/interactions", json=body)
    assert first.status_code == 200 and first.json()["status"] == "completed"
    used = int(first.json()["usage"]["total_tokens"])
    assert used > 0, "the echo model reports its tokens"
    # the rest of the quota is used up by earlier work (counted per tenant, key and day)
    await token_api.services.store.usage.record("tenant-a", {"total_tokens": 1000 - used})
    refused = await token_api.a.post("/v1beta/interactions", json=body)
    _refused(refused, "WARREN_TENANT_TOKEN_LIMIT=1000")
    other = await token_api.b.post("/v1beta/interactions", json=body)
    assert other.status_code == 200, "another tenant's quota is its own"
    listed = (await token_api.a.get("/v1beta/interactions/" + first.json()["id"])).status_code
    assert listed == 200, "reads still work past the quota"


async def test_token_window_slides_over_the_oldest_day(token_api: App) -> None:
    store = token_api.services.store
    now = datetime(2030, 1, 2, 18, 0, tzinfo=UTC)
    await store.usage.record("t", {"total_tokens": 800}, day=now.date() - timedelta(days=2))
    await store.usage.record("t", {"total_tokens": 400}, day=now.date() - timedelta(days=1))
    await store.usage.record("t", {"total_tokens": 100}, day=now.date())
    used = await tokens_used(store, None, "t", 86400, now=now)
    assert used == pytest.approx(100 + 400 * 0.25), "yesterday counts for the 6 h inside the window"
    assert await tokens_used(store, None, "t", 3600, now=now) == pytest.approx(100), "today counts whole"
    assert await tokens_used(store, None, "t", 3 * 86400, now=now) == pytest.approx(1300)


# ---- sandboxes (needs the engine) -------------------------------------------------------------------


@pytest.fixture
async def capped_api(tmp_path: Path, sandbox_image: str) -> AsyncIterator[App]:
    settings = Settings(
        data_dir=tmp_path / "data",
        sandbox_image=sandbox_image,
        tenant_max_sandboxes=2,
        workspace_bytes=64 << 20,
    )
    async for started in start_app(settings):
        try:
            yield started
        finally:
            for c in (started.a, started.b):
                for env in (await c.get("/v1beta/environments")).json().get("environments", []):
                    await c.delete(f"/v1beta/environments/{env['id']}")


@pytest.mark.integration
async def test_tenant_sandbox_cap_refuses_one_more_with_429(capped_api: App) -> None:
    a, b = capped_api.a, capped_api.b
    envs = [(await a.post("/v1beta/environments", json={})).json()["id"] for _ in range(3)]
    for env in envs[:2]:  # listing files starts the sandbox
        assert (await a.get(f"/v1beta/environments/{env}/files")).status_code == 200
    _refused(await a.get(f"/v1beta/environments/{envs[2]}/files"), "WARREN_TENANT_MAX_SANDBOXES=2")
    assert (await a.get(f"/v1beta/environments/{envs[0]}/files")).status_code == 200, "running ones work"
    fork = await a.post("/v1beta/environments", json={"from_environment": envs[0]})
    _refused(fork, "WARREN_TENANT_MAX_SANDBOXES=2")
    agent = await a.post("/v1beta/interactions", json={"agent": "default", "input": "hi", "background": True})
    _refused(agent, "WARREN_TENANT_MAX_SANDBOXES=2")  # a new environment would need a third sandbox
    other = (await b.post("/v1beta/environments", json={})).json()["id"]
    assert (await b.get(f"/v1beta/environments/{other}/files")).status_code == 200, "tenant b is unaffected"

    assert (await a.post(f"/v1beta/environments/{envs[0]}:stop")).status_code == 200
    assert (await a.get(f"/v1beta/environments/{envs[2]}/files")).status_code == 200, (
        "a freed place is usable"
    )
    _refused(await a.post(f"/v1beta/environments/{envs[0]}:resume"), "WARREN_TENANT_MAX_SANDBOXES=2")
    running = [e for e in (await a.get("/v1beta/environments")).json()["environments"] if e["id"] != envs[0]]
    assert len(running) == 2
