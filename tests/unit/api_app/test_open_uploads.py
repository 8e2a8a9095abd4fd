"""A tenant holds at most `max_open_uploads` resumable uploads open: the memory they pin stays bounded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orchestrator.config import Settings
from orchestrator.environments.uploads import TooManyUploads, UploadSession, UploadSessions
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.api_app.conftest import App, start_app

LIMIT = 3
ENV = "env_uploads"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[App]:
    """The app with room for three open uploads per tenant, and one environment per tenant."""
    settings = Settings(data_dir=tmp_path / "data", sandboxes=False, max_open_uploads=LIMIT)
    async for started in start_app(settings):
        for tenant in ("tenant-a", "tenant-b"):
            await started.services.store.environments.create(tenant, ENV, EnvironmentSpec())
        yield started


async def _start(client: httpx.AsyncClient, name: str) -> httpx.Response:
    return await client.put(
        f"/upload/v1beta/environments/{ENV}/files/{name}",
        headers={"x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"},
    )


async def test_past_the_limit_a_start_gets_429_naming_the_setting(api: App) -> None:
    for i in range(LIMIT):
        started = await _start(api.a, f"f{i}.txt")
        assert started.status_code == 200, started.text
        assert "upload_id=" in started.headers["x-goog-upload-url"]

    refused = await _start(api.a, "one-too-many.txt")

    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "WARREN_MAX_OPEN_UPLOADS" in error["message"]


async def test_the_limit_is_per_tenant(api: App) -> None:
    for i in range(LIMIT):
        assert (await _start(api.a, f"f{i}.txt")).status_code == 200

    other = await _start(api.b, "mine.txt")

    assert other.status_code == 200, "another tenant's open uploads do not count against this one"


def _session(name: str) -> UploadSession:
    return UploadSession("tenant-a", ENV, name, overwrite=True, extract=False, declared_size=None)


def test_an_expired_upload_frees_its_slot() -> None:
    live = UploadSessions(max_bytes=1024, max_open_per_tenant=1)
    live.start(_session("a.txt"))
    with pytest.raises(TooManyUploads):
        live.start(_session("b.txt"))

    expiring = UploadSessions(max_bytes=1024, max_open_per_tenant=1, ttl_s=0.0)  # sessions expire at once
    expiring.start(_session("a.txt"))

    assert expiring.start(_session("b.txt")), "the expired session no longer holds the slot"


def test_a_finished_upload_frees_its_slot() -> None:
    uploads = UploadSessions(max_bytes=1024, max_open_per_tenant=1)
    uploads.finish(uploads.start(_session("a.txt")))

    assert uploads.start(_session("b.txt"))
