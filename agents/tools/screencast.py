"""The agent's browser page as it changes, streamed only while someone watches (issue 16, item 4).

A CDP screencast (`Page.startScreencast`: JPEG, at most 1024x768, quality 60) on the page the agent
drives. Chromium sends a frame only when the page repaints and never sends the next before the
last is acknowledged, so acknowledging a frame only after it was sent, and no sooner than
`1 / max_fps` seconds after the previous one, bounds the rate at the source. Nothing runs while
nobody watches: no CDP session, no task, no frame.

While the agent's own browser action runs (`held`), the screencast pauses: Chromium's capture of
each repaint costs a quarter of a core on a busy page whatever the frame rate, which slowed the
agent's `navigate` by up to a third on a loaded 2-core machine (bench/browser_view.py). It starts
again as the action ends, and its first frame is the page the action left; a `wait` action, where
the agent only watches the page itself, keeps it running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from agents.protocol import Frame

if TYPE_CHECKING:
    from playwright.async_api import CDPSession, Page

__all__ = ["FrameSink", "Screencast"]

log = logging.getLogger(__name__)

_RETRY_S = 0.5
"""Seconds before a screencast that failed to start (a page still attaching) is tried again."""

FrameSink = Callable[[Frame], Awaitable[bool]]
"""Sends one frame; answers whether anyone still watches."""


class Screencast:
    """Streams the frames of the page `follow` names to `send`, while `want(True)` holds.

    Args:
        send: where frames go (the runner channel's `frame`).
        max_fps: most frames per second.
        quality: JPEG quality, 0-100.
        max_width: widest frame, in pixels (the page is scaled down to fit).
        max_height: tallest frame, in pixels.
    """

    def __init__(
        self,
        send: FrameSink,
        *,
        max_fps: float = 5.0,
        quality: int = 60,
        max_width: int = 1024,
        max_height: int = 768,
    ) -> None:
        self._send = send
        self._interval_s = 1.0 / max_fps
        self._settings = {
            "format": "jpeg",
            "quality": quality,
            "maxWidth": max_width,
            "maxHeight": max_height,
        }
        self._wanted = False
        self._held = 0
        self._page: Page | None = None
        self._session: tuple[Page, CDPSession] | None = None
        self._streaming = False
        self._latest: tuple[CDPSession, dict[str, Any]] | None = None
        self._wake = asyncio.Event()
        self._hold = asyncio.Event()
        """Set when an action takes hold: cuts the pacing pause short, so the screencast stops at once."""
        self._task: asyncio.Task[None] | None = None

    @property
    def casting(self) -> bool:
        """Whether a screencast runs now."""
        return self._streaming

    def want(self, watched: bool) -> None:
        """Someone watches (or no longer does); the screencast follows within a moment."""
        if watched == self._wanted:
            return
        self._wanted = watched
        if watched and self._task is None:
            self._task = asyncio.create_task(self._pump())
        self._wake.set()

    def follow(self, page: Page) -> None:
        """The agent drives `page` now (a new page, or a tab a link opened)."""
        self._page = page
        self._wake.set()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Pause the screencast while the agent's own browser action runs (nothing waits for it)."""
        self._held += 1
        if self._streaming:
            self._hold.set()
            self._wake.set()
        try:
            yield
        finally:
            self._held -= 1
            if self._wanted:
                self._wake.set()

    async def close(self) -> None:
        """Stop the screencast and its task."""
        self._wanted = False
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._detach()

    async def _pump(self) -> None:
        """Start or stop the screencast as wanted, and send each frame, paced, before acking it."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._sync()
                latest, self._latest = self._latest, None
                if latest is not None and self._streaming:
                    await self._relay(*latest)
            except Exception as exc:  # a page not ready yet, or closed: try again in a moment
                log.info("browser screencast: %s", exc)
                await self._detach()
                if self._wanted:
                    asyncio.get_running_loop().call_later(_RETRY_S, self._wake.set)

    async def _relay(self, cdp: CDPSession, params: dict[str, Any]) -> None:
        started = time.monotonic()
        if not await self._send_frame(params):
            self._wanted = False
            await self._sync()
            return
        self._hold.clear()
        if self._held:
            return  # an action took hold while the frame was on its way
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._hold.wait(), max(0.0, self._interval_s - (time.monotonic() - started))
            )
            return  # an action took hold: the screencast stops, no ack is due
        with contextlib.suppress(Exception):  # the session may be gone with its page
            await cdp.send("Page.screencastFrameAck", {"sessionId": params["sessionId"]})

    async def _send_frame(self, params: dict[str, Any]) -> bool:
        page = self._page
        try:
            frame = Frame(
                jpeg_b64=params.get("data", ""),
                url=(page.url if page is not None else "")[:4096],
                timestamp=float(params.get("metadata", {}).get("timestamp") or time.time()),
            )
        except ValidationError:  # too big (or not a JPEG): skip it, the next repaint may fit
            return True
        return await self._send(frame)

    async def _sync(self) -> None:
        """Attach to the page wanted (or detach), then stream unless an action holds the screencast."""
        page = self._page if self._wanted else None
        if page is not None and page.is_closed():
            page = None
        if self._session is not None and self._session[0] is not page:
            await self._detach()
        if page is None:
            return
        if self._session is None:
            cdp = await page.context.new_cdp_session(page)
            cdp.on("Page.screencastFrame", lambda params: self._arrived(cdp, params))
            self._session = (page, cdp)
        stream = self._held == 0
        if stream != self._streaming:
            self._streaming, self._latest = stream, None
            cdp = self._session[1]
            await (
                cdp.send("Page.startScreencast", self._settings)
                if stream
                else cdp.send("Page.stopScreencast")
            )

    def _arrived(self, cdp: CDPSession, params: dict[str, Any]) -> None:
        self._latest = (cdp, params)
        self._wake.set()

    async def _detach(self) -> None:
        session, self._session, self._latest, self._streaming = self._session, None, None, False
        if session is not None:
            with contextlib.suppress(Exception):  # the page (or the browser) may be closed already
                await session[1].detach()
