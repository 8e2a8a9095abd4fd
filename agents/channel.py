"""The runner's side of the channel: typed calls to the orchestrator over the Unix socket.

A dropped channel (the orchestrator restarting, a socket hiccup) is retried with capped exponential
backoff, so the runner survives it and carries on where it was. `claim` fetches the runner's token
once, at start, before any tool runs. A `Park` order (the sandbox is about to be paused with its
memory) closes every connection and keeps the channel off the socket until the pause is over.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from agents.parking import sit_out
from agents.protocol import (
    PREFIX,
    Ack,
    Claimed,
    Control,
    FinishReport,
    Frame,
    FrameAck,
    ModelCallResult,
    Park,
    StepCall,
    WorkItem,
)
from agents.uds_http import ChannelTransportError, Reply, UnixHttp

__all__ = ["Channel", "ChannelClosedError", "ChannelRefusedError", "claim"]

log = logging.getLogger("agents.channel")
R = TypeVar("R", bound=BaseModel)


class ChannelClosedError(RuntimeError):
    """The orchestrator refused the runner (bad token, environment gone): stop for good."""


class ChannelRefusedError(RuntimeError):
    """The orchestrator refused one request (e.g. the interaction was deleted): drop that turn."""


async def claim(socket_path: str, max_backoff_s: float = 2.0) -> str:
    """The runner's token, claimed once over the socket (the orchestrator arms one claim per start).

    Waits while the socket is not served yet (the sandbox may start before its channel).

    Raises:
        ChannelClosedError: the claim was refused (already claimed, or none armed).
    """
    http = UnixHttp(socket_path, {"content-type": "application/json"})
    delay = 0.05
    try:
        while True:
            try:
                response = await http.request("POST", f"{PREFIX}/claim")
            except ChannelTransportError:
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_backoff_s)
                continue
            if response.status == 200:
                return Claimed.model_validate_json(response.body).token
            if response.status >= 500:
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_backoff_s)
                continue
            raise ChannelClosedError(f"the orchestrator refused the runner's claim: {response.status}")
    finally:
        await http.close()


class Channel:
    """Typed client of the runner endpoints.

    Args:
        socket_path: the orchestrator's Unix socket (mounted into the sandbox).
        token: the per-environment token.
        max_backoff_s: cap on the delay between reconnect attempts, in seconds.
    """

    def __init__(self, socket_path: str, token: str, max_backoff_s: float = 5.0) -> None:
        self._http = UnixHttp(socket_path, self._headers(token))
        self._max_backoff_s = max_backoff_s
        self._parked = False
        self.on_watched: Callable[[bool], None] | None = None
        """Told on each control poll whether someone watches the browser (`Toolbox.watch`)."""

    async def close(self) -> None:
        """Close the connections."""
        await self._http.close()

    async def park(self, order: Park) -> bool:
        """Let go of the socket (the sandbox is about to be saved) until restored or `order.for_s`
        passed; True when it was restored. Browser frames are dropped meanwhile."""
        self._parked = True
        since = time.monotonic()  # before the close: the checkpoint may freeze us right after it
        try:
            await self._http.close()
            return await sit_out(order.for_s, since)
        finally:
            self._parked = False

    async def use_token(self, token: str, connections: UnixHttp | None = None) -> None:
        """Send `token` from now on (a warm-pool runner's environment token replaces its pool secret),
        over the idle connections of `connections` (the assignment's long poll) when given."""
        await self._http.close()
        self._http = (connections or self._http).reheaded(self._headers(token))

    @staticmethod
    def _headers(token: str) -> dict[str, str]:
        return {"authorization": f"Bearer {token}", "content-type": "application/json"}

    async def _request(
        self, method: str, path: str, answer: type[R], body: BaseModel | None = None, **params: str
    ) -> R | None:
        response = await self._send(method, path, body, params)
        return None if response.status == 204 else answer.model_validate_json(response.body)

    async def _send(self, method: str, path: str, body: BaseModel | None, params: dict[str, str]) -> Reply:
        """One request, retried until the orchestrator answers it with a status below 500."""
        delay = 0.1
        while True:
            try:
                content = body.model_dump_json().encode() if body else None
                response = await self._http.request(method, PREFIX + path, content, params or None)
            except ChannelTransportError as exc:
                log.warning("channel %s %s failed (%s); retrying in %.1fs", method, path, exc, delay)
                await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311 (jitter, not crypto)
                delay = min(delay * 2, self._max_backoff_s)
                continue
            if response.status in (401, 403, 410):
                raise ChannelClosedError(
                    f"orchestrator refused the runner: {response.status} {response.text}"
                )
            if response.status >= 500:
                log.warning("channel %s %s answered %s; retrying", method, path, response.status)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff_s)
                continue
            if response.status >= 400:
                raise ChannelRefusedError(f"{method} {path}: {response.status} {response.text}")
            return response

    async def next_work(self, wait_s: float = 25.0) -> WorkItem | Park | None:
        """Long-poll for the next turn; `None` when none arrived within `wait_s` seconds, `Park`
        when the sandbox is about to be paused."""
        response = await self._send("GET", "/work", None, {"wait_s": str(wait_s)})
        if response.status == 204:
            return None
        if response.status == 202:
            return Park.model_validate_json(response.body)
        return WorkItem.model_validate_json(response.body)

    async def step(self, call: StepCall) -> ModelCallResult:
        """Report the last tool results and make the next model call (idempotent by `turn`)."""
        result = await self._request("POST", "/step", ModelCallResult, call)
        assert result is not None
        return result

    async def finish(self, report: FinishReport) -> Ack:
        """Report how the turn ended."""
        ack = await self._request("POST", "/finish", Ack, report)
        return ack or Ack()

    async def control(self, interaction_id: str) -> Control:
        """Read the interaction's control state (cancel)."""
        control = await self._request("GET", "/control", Control, interaction_id=interaction_id) or Control()
        if self.on_watched is not None:
            self.on_watched(control.watched)
        return control

    async def frame(self, frame: Frame) -> bool:
        """Send one frame of the browser page; whether anyone still watches.

        Sent once, never retried (the next frame replaces it): a failure reads as "nobody watches",
        and a refusal for the rate (429) as "still watched". Never sent while parked.
        """
        if self._parked:
            return False
        try:
            response = await self._http.request("POST", f"{PREFIX}/frames", frame.model_dump_json().encode())
        except ChannelTransportError:
            return False
        if response.status == 429:
            return True
        if response.status != 200:
            return False
        return FrameAck.model_validate_json(response.body).watched
