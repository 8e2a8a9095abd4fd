"""The agent's browser, live: the latest frame of each environment's page, and who watches it.

Runners post frames of their browser page (`POST /runner/v1/frames`) only while someone watches,
which they learn from the control poll and each frame's answer. Frames come from a sandbox, so
they are hostile bytes: the protocol model bounds their size and alphabet, the channel their rate
(`ChannelLimits.frames_per_s`), the board keeps only the latest in memory (never stored), and
nothing here decodes them. Watchers (`follow`) get the latest frame, then each new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from agents.protocol import Frame

__all__ = ["BrowserFrame", "FrameBoard", "TooManyWatchers"]


class TooManyWatchers(Exception):
    """The environment's browser has as many watchers as it may."""


@dataclass(frozen=True)
class BrowserFrame:
    """One frame as watchers get it."""

    seq: int
    """Counts the frames of the environment since its board was made: a watcher's event id."""
    jpeg_b64: str
    """The JPEG, base64, as the runner sent it (checked for size and alphabet, never decoded)."""
    url: str
    """The page's URL."""
    timestamp: float
    """When the page painted it, in seconds since the Unix epoch (the sandbox's clock)."""


@dataclass
class _Screen:
    watchers: int = 0
    latest: BrowserFrame | None = None
    seq: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class FrameBoard:
    """The latest frame per environment, in memory, kept only while someone watches.

    Args:
        max_watchers: watchers of one environment's browser at once.
    """

    def __init__(self, max_watchers: int = 8) -> None:
        self.max_watchers = max_watchers
        self._screens: dict[str, _Screen] = {}

    def watched(self, environment_id: str) -> bool:
        """Whether anyone watches the environment's browser now."""
        screen = self._screens.get(environment_id)
        return screen is not None and screen.watchers > 0

    def full(self, environment_id: str) -> bool:
        """Whether the environment's browser has `max_watchers` watchers (ask before `follow`)."""
        screen = self._screens.get(environment_id)
        return screen is not None and screen.watchers >= self.max_watchers

    def put(self, environment_id: str, frame: Frame) -> bool:
        """Keep `frame` as the environment's latest if anyone watches; whether anyone does."""
        screen = self._screens.get(environment_id)
        if screen is None or screen.watchers == 0:
            return False
        screen.seq += 1
        screen.latest = BrowserFrame(screen.seq, frame.jpeg_b64, frame.url, frame.timestamp)
        screen.changed.set()
        screen.changed = asyncio.Event()
        return True

    async def follow(
        self, environment_id: str, keepalive_s: float = 15.0
    ) -> AsyncIterator[BrowserFrame | None]:
        """Watch the environment's browser: the latest frame, then each new one; None every
        `keepalive_s` seconds without one. Counts as a watcher until the iteration ends.

        Raises:
            TooManyWatchers: the environment has `max_watchers` already (raised on the first step,
                so a route asks `full` first, before it answers 200).
        """
        screen = self._screens.setdefault(environment_id, _Screen())
        if screen.watchers >= self.max_watchers:
            raise TooManyWatchers(f"at most {self.max_watchers} watchers of one environment's browser")
        screen.watchers += 1
        try:
            seen = 0
            while True:
                latest = screen.latest
                if latest is not None and latest.seq > seen:
                    seen = latest.seq
                    yield latest
                    continue
                try:
                    await asyncio.wait_for(screen.changed.wait(), keepalive_s)
                except TimeoutError:
                    yield None
        finally:
            screen.watchers -= 1
            if screen.watchers == 0:  # nobody watches: no frame stays in memory
                self._screens.pop(environment_id, None)
