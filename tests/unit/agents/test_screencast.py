"""The browser's screencast in real Chromium (issue 16, item 4): frames flow only while someone
watches, each a JPEG of the page the agent drives, paced, and they stop when the watcher goes."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agents.protocol import Frame
from agents.tools import Toolbox, ToolboxConfig

from .conftest import CHROMIUM, SKILLS, needs_chromium

pytestmark = needs_chromium

TICKING = (
    "data:text/html,<title>Ticking</title><h1 id=t>0</h1>"
    "<script>let n=0;setInterval(()=>{document.getElementById('t').textContent=++n},50)</script>"
)
STILL = "data:text/html,<title>Still</title><h1>Nothing moves here</h1>"


class Sink:
    """Where frames go: records them and answers `watched`."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.watched = True
        self.arrived = asyncio.Event()

    async def __call__(self, frame: Frame) -> bool:
        self.frames.append(frame)
        self.arrived.set()
        return self.watched

    async def wait_for(self, count: int, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.frames) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), max(0.01, deadline - time.monotonic()))


async def _stops(toolbox: Toolbox, timeout_s: float = 20.0) -> None:
    """Wait until the screencast no longer runs (a loaded machine may take a while)."""
    screencast = toolbox._screencast
    assert screencast is not None
    deadline = time.monotonic() + timeout_s
    while screencast.casting:
        assert time.monotonic() < deadline, "the screencast still runs"
        await asyncio.sleep(0.05)


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
async def toolbox(tmp_path: Path, sink: Sink) -> AsyncIterator[Toolbox]:
    config = ToolboxConfig(workspace=tmp_path, skills_root=SKILLS, chromium=CHROMIUM)
    async with Toolbox(config, enabled=["browser"], frames=sink) as tools:
        yield tools


async def test_unwatched_the_page_sends_nothing(toolbox: Toolbox, sink: Sink) -> None:
    result = await toolbox.call("browser", {"action": "navigate", "url": TICKING})
    assert not result.is_error
    await toolbox.call("browser", {"action": "wait", "text": "1"})
    assert sink.frames == []
    assert toolbox._screencast is not None and not toolbox._screencast.casting


async def test_watched_frames_are_distinct_jpegs_of_the_page_and_paced(toolbox: Toolbox, sink: Sink) -> None:
    started = time.monotonic()
    toolbox.watch(True)
    await toolbox.call("browser", {"action": "navigate", "url": TICKING})
    await sink.wait_for(3)
    elapsed = time.monotonic() - started
    images = [base64.b64decode(frame.jpeg_b64) for frame in sink.frames]
    assert all(image.startswith(b"\xff\xd8\xff") for image in images)
    assert len(set(images)) >= 2, "the ticking page gave one picture only"
    assert sink.frames[-1].url.startswith("data:text/html,<title>Ticking")
    assert len(sink.frames) <= elapsed * 5 + 2, "more than 5 frames a second"  # the page ticks at 20/s
    count = len(sink.frames)
    await toolbox.call("browser", {"action": "navigate", "url": STILL})
    await sink.wait_for(count + 1)
    await asyncio.sleep(0.5)  # the frame of the old page that was on its way
    assert sink.frames[-1].url.startswith("data:text/html,<title>Still")


async def test_the_screencast_stops_when_the_watcher_goes(toolbox: Toolbox, sink: Sink) -> None:
    toolbox.watch(True)
    await toolbox.call("browser", {"action": "navigate", "url": TICKING})
    await sink.wait_for(1)
    sink.watched = False  # the orchestrator answers that nobody watches any more
    await sink.wait_for(len(sink.frames) + 1)
    await _stops(toolbox)
    count = len(sink.frames)
    await toolbox.call("browser", {"action": "wait", "text": "1"})
    assert len(sink.frames) == count

    sink.watched = True  # a watcher again (the next control poll): frames resume
    toolbox.watch(True)
    await sink.wait_for(count + 1)
    toolbox.watch(False)  # the control poll says nobody watches
    await _stops(toolbox)


async def test_a_watcher_before_the_browser_starts_gets_the_first_page(toolbox: Toolbox, sink: Sink) -> None:
    toolbox.watch(True)
    await asyncio.sleep(0.2)
    assert sink.frames == []  # no browser yet: nothing to stream
    await toolbox.call("browser", {"action": "navigate", "url": STILL})
    await sink.wait_for(1)
    assert base64.b64decode(sink.frames[0].jpeg_b64).startswith(b"\xff\xd8\xff")


async def test_the_screencast_pauses_while_an_action_holds_it(toolbox: Toolbox, sink: Sink) -> None:
    toolbox.watch(True)
    await toolbox.call("browser", {"action": "navigate", "url": TICKING})
    await sink.wait_for(1)
    screencast = toolbox._screencast
    assert screencast is not None
    with screencast.held():  # what every browser action but `wait` does
        await _stops(toolbox)
        count = len(sink.frames)
        await asyncio.sleep(1)
        assert len(sink.frames) == count, "frames while the agent's action ran"
    await sink.wait_for(count + 2)  # streaming again once the action ended
    assert screencast.casting
