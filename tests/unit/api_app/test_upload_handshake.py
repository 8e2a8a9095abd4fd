"""The resumable upload's handshake answers an absolute URL, and failed attempts give their slot back.

Issue 15, defect 2: the JavaScript SDK cannot follow a relative `X-Goog-Upload-URL`, and uploads
that failed or were abandoned held a slot for an hour, so a tenant soon got 429 on every upload.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orchestrator.config import Settings
from orchestrator.environments.uploads import UploadSession, UploadSessions
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.api_app.conftest import App, start_app

LIMIT = 2
ENV = "env_handshake"
CAP = 1024


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[App]:
    """Room for two open uploads of at most 1 KiB each, and one environment (no sandboxes needed)."""
    settings = Settings(
        data_dir=tmp_path / "data", sandboxes=False, max_open_uploads=LIMIT, max_body_bytes=CAP
    )
    async for started in start_app(settings):
        await started.services.store.environments.create("tenant-a", ENV, EnvironmentSpec())
        yield started


async def _start(client: httpx.AsyncClient, name: str = "f.txt") -> str:
    started = await client.put(
        f"/upload/v1beta/environments/{ENV}/files/{name}?overwrite=true",
        headers={"x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"},
    )
    assert started.status_code == 200, started.text
    return started.headers["x-goog-upload-url"]


def _chunk(offset: int, command: str = "upload") -> dict[str, str]:
    return {"x-goog-upload-command": command, "x-goog-upload-offset": str(offset)}


async def test_the_upload_url_is_absolute_and_points_back_at_this_server(api: App) -> None:
    url = httpx.URL(await _start(api.a, "data/scores.csv"))

    assert url.is_absolute_url, f"{url} is relative: the JavaScript SDK's `new URL()` refuses it"
    assert (url.scheme, url.host) == ("http", "t")
    assert url.path == f"/upload/v1beta/environments/{ENV}/files/data/scores.csv"
    assert list(url.params.keys()) == ["upload_id"]


async def test_chunks_at_a_wrong_offset_do_not_pin_upload_slots(api: App) -> None:
    for _ in range(LIMIT * 3):
        url = await _start(api.a)
        refused = await api.a.post(url, content=b"late", headers=_chunk(7))
        assert refused.status_code == 400, refused.text
        assert (await api.a.post(url, content=b"x", headers=_chunk(0))).status_code == 404, "it was freed"


async def test_uploads_past_the_size_limit_do_not_pin_upload_slots(api: App) -> None:
    for _ in range(LIMIT * 3):
        url = await _start(api.a)
        assert (await api.a.post(url, content=b"a" * (CAP - 10), headers=_chunk(0))).status_code == 200
        too_large = await api.a.post(url, content=b"b" * 20, headers=_chunk(CAP - 10))
        assert too_large.status_code == 413, too_large.text


async def _breaks_off() -> AsyncIterator[bytes]:
    yield b"the first half"
    raise ConnectionResetError("the client went away mid-chunk")


async def test_a_client_gone_mid_chunk_does_not_pin_an_upload_slot(api: App) -> None:
    for _ in range(LIMIT * 3):
        url = await _start(api.a)
        with contextlib.suppress(ConnectionResetError):  # the in-process transport may pass it on
            answer = await api.a.post(url, content=_breaks_off(), headers=_chunk(0))
            assert answer.status_code >= 400


def _session(tenant: str = "tenant-a") -> UploadSession:
    return UploadSession(tenant, ENV, "f.txt", overwrite=True, extract=False, declared_size=None)


def test_a_session_that_got_no_bytes_expires_long_before_one_that_did() -> None:
    now = [1000.0]
    uploads = UploadSessions(
        max_bytes=CAP, max_open_per_tenant=2, ttl_s=3600.0, idle_ttl_s=60.0, clock=lambda: now[0]
    )
    receiving = uploads.start(_session())
    uploads.chunk("tenant-a", receiving, 0, b"some bytes")
    uploads.start(_session())  # abandoned right after the handshake
    now[0] += 61.0

    assert uploads.start(_session()), "the abandoned handshake no longer holds a slot"
    assert uploads.chunk("tenant-a", receiving, 10, b"more").received == 14, (
        "the one receiving bytes lives on"
    )


def test_a_failed_chunk_of_another_tenant_leaves_the_session_alone() -> None:
    uploads = UploadSessions(max_bytes=CAP, max_open_per_tenant=1)
    upload_id = uploads.start(_session("tenant-a"))
    uploads.abandon("tenant-b", upload_id)

    assert uploads.chunk("tenant-a", upload_id, 0, b"mine").received == 4
