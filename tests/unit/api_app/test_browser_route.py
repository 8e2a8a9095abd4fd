"""`GET /{v}/environments/{id}/browser` (issue 16, item 4): the key and tenant checks of every
environment route, then the latest frames as server-sent events with a fixed image type; the
environment counts as watched exactly while a stream is open."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from agents.protocol import Frame
from orchestrator.channel.frames import FrameBoard
from orchestrator.store.environment_spec import EnvironmentSpec

from .conftest import App

V = "/v1beta"
ENV = "env-watched"
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"frame one").decode()


@pytest.fixture
async def board(api: App) -> FrameBoard:
    """Tenant A's environment (a stored row; no sandbox needed) and a frame board for the app."""
    await api.services.store.environments.create("tenant-a", ENV, EnvironmentSpec())
    api.services.frames = FrameBoard(max_watchers=1)
    return api.services.frames


@pytest.fixture
async def served(api: App) -> AsyncIterator[str]:
    """The app on a loopback port (the in-process transport cannot stream an endless response)."""
    server = uvicorn.Server(
        uvicorn.Config(api.app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_another_tenant_and_no_key_are_refused(api: App, board: FrameBoard) -> None:
    other = await api.b.get(f"{V}/environments/{ENV}/browser")
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(api.app), base_url="http://t") as anonymous:
        assert (await anonymous.get(f"{V}/environments/{ENV}/browser")).status_code == 401
    missing = await api.a.get(f"{V}/environments/env-nowhere/browser")
    assert missing.status_code == 404
    assert not board.watched(ENV)


async def test_the_stream_relays_frames_while_it_is_open(api: App, board: FrameBoard, served: str) -> None:
    headers = {"x-goog-api-key": api.a.headers["x-goog-api-key"]}
    async with (
        httpx.AsyncClient(base_url=served, headers=headers, timeout=30) as client,
        client.stream("GET", f"{V}/environments/{ENV}/browser") as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        while not board.watched(ENV):
            await asyncio.sleep(0.01)
        full = await api.a.get(f"{V}/environments/{ENV}/browser")  # past the board's one watcher
        assert full.status_code == 429
        assert board.put(ENV, Frame(jpeg_b64=JPEG, url="http://page/<one>", timestamp=3.5))
        lines = stream.aiter_lines()
        event = [await anext(lines) for _ in range(3)]
    assert event[0] == "event: frame" and event[1] == "id: 1"
    data = json.loads(event[2].removeprefix("data: "))
    assert data == {
        "seq": 1,
        "mime_type": "image/jpeg",
        "data": JPEG,
        "url": "http://page/<one>",
        "timestamp": 3.5,
    }
    for _ in range(200):  # the server notices the closed stream: nobody watches, nothing is kept
        if not board.watched(ENV):
            break
        await asyncio.sleep(0.05)
    assert not board.watched(ENV)
    assert not board.put(ENV, Frame(jpeg_b64=JPEG))
