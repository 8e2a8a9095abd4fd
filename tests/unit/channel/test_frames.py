"""Frames of the agent's browser over a real channel socket (issue 16, item 4): a runner learns from
the control poll whether anyone watches; a frame nobody watches is dropped and answered "unwatched";
a watched one reaches the watchers unchanged; oversized, non-JPEG and too-fast frames are refused."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from agents.channel import Channel
from agents.protocol import MAX_FRAME_BYTES, MAX_FRAME_CHARS, PREFIX, Frame
from agents.uds_http import UnixHttp
from orchestrator.channel.frame_route import MAX_FRAME_BODY_BYTES
from orchestrator.channel.frames import BrowserFrame, FrameBoard, TooManyWatchers
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.limits import ChannelLimits
from orchestrator.channel.server import SOCKET_NAME, ChannelServers
from orchestrator.gateway.registry import ProviderRegistry

ENV = "env-frames"
TOKEN = "frames-token"
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4).decode()


@dataclass
class Rig:
    hub: RunnerHub
    channel: Channel
    raw: UnixHttp


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    root = Path(tempfile.mkdtemp(prefix="wfr-", dir="/tmp"))  # socket paths must stay short

    async def check(token: str) -> bool:
        return token == TOKEN

    hub = RunnerHub(ProviderRegistry({}))
    channels = ChannelServers(hub, root / "run", ChannelLimits(frames_per_s=3.0))
    await channels.ensure(ENV, check)
    socket = str(channels.folder(ENV) / SOCKET_NAME)
    channel = Channel(socket, TOKEN)
    raw = UnixHttp(socket, {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"})
    yield Rig(hub, channel, raw)
    await channel.close()
    await raw.close()
    await channels.close_all()
    shutil.rmtree(root, ignore_errors=True)


class _Watcher:
    """One watcher of the environment's browser, following the board in a task."""

    def __init__(self, board: FrameBoard) -> None:
        self.seen: list[BrowserFrame] = []
        self.arrived = asyncio.Event()
        self._task = asyncio.create_task(self._follow(board))

    async def _follow(self, board: FrameBoard) -> None:
        async for frame in board.follow(ENV):
            if frame is not None:
                self.seen.append(frame)
                self.arrived.set()

    async def started(self) -> None:
        await asyncio.sleep(0)  # the generator registers on its first step

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_nobody_watching_means_control_says_so_and_a_frame_is_dropped(rig: Rig) -> None:
    told: list[bool] = []
    rig.channel.on_watched = told.append
    await rig.channel.control("any-interaction")
    assert told == [False]
    assert await rig.channel.frame(Frame(jpeg_b64=JPEG, url="http://page/")) is False
    assert not rig.hub.frames.watched(ENV)


async def test_a_watched_frame_reaches_the_watcher_unchanged_and_leaves_with_it(rig: Rig) -> None:
    watcher = _Watcher(rig.hub.frames)
    await watcher.started()
    told: list[bool] = []
    rig.channel.on_watched = told.append
    await rig.channel.control("any-interaction")
    assert told == [True]
    assert await rig.channel.frame(Frame(jpeg_b64=JPEG, url="http://page/one", timestamp=12.5)) is True
    await asyncio.wait_for(watcher.arrived.wait(), 5)
    assert [(f.jpeg_b64, f.url, f.timestamp) for f in watcher.seen] == [(JPEG, "http://page/one", 12.5)]

    late = _Watcher(rig.hub.frames)  # a second watcher gets the latest frame at once
    await asyncio.wait_for(late.arrived.wait(), 5)
    assert late.seen[0].jpeg_b64 == JPEG
    await late.stop()
    await watcher.stop()
    assert not rig.hub.frames.watched(ENV)
    assert rig.hub.frames._screens == {}  # no frame kept once nobody watches
    assert await rig.channel.frame(Frame(jpeg_b64=JPEG)) is False


async def test_oversized_and_non_jpeg_frames_are_refused(rig: Rig) -> None:
    watcher = _Watcher(rig.hub.frames)
    await watcher.started()
    reader, writer = await asyncio.open_unix_connection(rig.raw.path)
    writer.write(  # the head alone: the declared size is refused before a byte of the body is read
        f"POST {PREFIX}/frames HTTP/1.1\r\nhost: o\r\nauthorization: Bearer {TOKEN}\r\n"
        f"content-length: {MAX_FRAME_BODY_BYTES + 1}\r\n\r\n".encode()
    )
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status_line.split()[1] == b"413"
    await asyncio.sleep(0.4)  # the rate's next token (3 a second)
    past_the_frame_cap = json.dumps({"jpeg_b64": "/9j/" + "A" * MAX_FRAME_CHARS}).encode()
    assert len(past_the_frame_cap) <= MAX_FRAME_BODY_BYTES
    reply = await rig.raw.request("POST", f"{PREFIX}/frames", past_the_frame_cap)
    assert reply.status == 422 and "jpeg_b64" in reply.text
    await asyncio.sleep(0.4)
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(64)).decode()
    reply = await rig.raw.request("POST", f"{PREFIX}/frames", json.dumps({"jpeg_b64": png}).encode())
    assert reply.status == 422
    assert watcher.seen == []
    await watcher.stop()
    with pytest.raises(ValidationError):  # the runner's own model refuses one before it is sent
        Frame(jpeg_b64=base64.b64encode(b"\xff\xd8\xff" + bytes(MAX_FRAME_BYTES)).decode())


async def test_frames_past_the_rate_are_refused_before_their_body_is_read(rig: Rig) -> None:
    watcher = _Watcher(rig.hub.frames)
    await watcher.started()
    statuses = []
    for _ in range(6):  # a burst of 3, then 3 a second: six at once cannot all pass
        reply = await rig.raw.request(
            "POST", f"{PREFIX}/frames", Frame(jpeg_b64=JPEG).model_dump_json().encode()
        )
        statuses.append(reply.status)
    assert statuses.count(200) <= 4 and 429 in statuses
    assert await rig.channel.frame(Frame(jpeg_b64=JPEG)) is True  # the runner's client: still watched
    await watcher.stop()


async def test_frames_need_the_runner_token(rig: Rig) -> None:
    stranger = UnixHttp(rig.raw.path, {"authorization": "Bearer wrong", "content-type": "application/json"})
    reply = await stranger.request(
        "POST", f"{PREFIX}/frames", Frame(jpeg_b64=JPEG).model_dump_json().encode()
    )
    await stranger.close()
    assert reply.status == 401


async def test_the_board_caps_its_watchers() -> None:
    board = FrameBoard(max_watchers=2)
    watchers = [_Watcher(board), _Watcher(board)]
    for watcher in watchers:
        await watcher.started()
    assert board.full(ENV)
    with pytest.raises(TooManyWatchers):
        await anext(board.follow(ENV))
    for watcher in watchers:
        await watcher.stop()
    assert not board.full(ENV) and not board.watched(ENV)
