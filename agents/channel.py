"""The runner's side of the channel: typed calls to the orchestrator over the Unix socket.

A dropped channel (the orchestrator restarting, a socket hiccup) is retried with capped exponential
backoff, so the runner survives it and carries on where it was.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TypeVar

import httpx
from pydantic import BaseModel

from agents.protocol import (
    PREFIX,
    Ack,
    Control,
    FinishReport,
    ModelCall,
    ModelCallResult,
    ToolResultReport,
    WorkItem,
)

__all__ = ["Channel", "ChannelClosedError"]

log = logging.getLogger("agents.channel")
R = TypeVar("R", bound=BaseModel)
_RETRYABLE = (httpx.TransportError,)


class ChannelClosedError(RuntimeError):
    """The orchestrator refused the runner (bad token, environment gone): stop for good."""


class Channel:
    """Typed client of the runner endpoints.

    Args:
        transport: how to reach the orchestrator (a Unix-socket transport in the sandbox).
        token: the per-environment token.
        max_backoff_s: cap on the delay between reconnect attempts, in seconds.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport, token: str, max_backoff_s: float = 5.0) -> None:
        self._client = httpx.AsyncClient(
            transport=transport,
            base_url="http://orchestrator" + PREFIX,
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            timeout=httpx.Timeout(connect=5.0, read=None, write=30.0, pool=30.0),
        )
        self._max_backoff_s = max_backoff_s

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def _request(
        self, method: str, path: str, answer: type[R], body: BaseModel | None = None, **params: str
    ) -> R | None:
        delay = 0.1
        while True:
            try:
                response = await self._client.request(
                    method, path, params=params or None, content=body.model_dump_json() if body else None
                )
            except _RETRYABLE as exc:
                log.warning("channel %s %s failed (%s); retrying in %.1fs", method, path, exc, delay)
                await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311 (jitter, not crypto)
                delay = min(delay * 2, self._max_backoff_s)
                continue
            if response.status_code == 204:
                return None
            if response.status_code in (401, 403, 410):
                raise ChannelClosedError(
                    f"orchestrator refused the runner: {response.status_code} {response.text}"
                )
            if response.status_code >= 500:
                log.warning("channel %s %s answered %s; retrying", method, path, response.status_code)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff_s)
                continue
            response.raise_for_status()
            return answer.model_validate_json(response.content)

    async def next_work(self, wait_s: float = 25.0) -> WorkItem | None:
        """Long-poll for the next turn; `None` when none arrived within `wait_s` seconds."""
        return await self._request("GET", "/work", WorkItem, wait_s=str(wait_s))

    async def model(self, call: ModelCall) -> ModelCallResult:
        """One model call through the orchestrator's gateway."""
        result = await self._request("POST", "/model", ModelCallResult, call)
        assert result is not None
        return result

    async def tool_result(self, report: ToolResultReport) -> Ack:
        """Report one executed tool call."""
        ack = await self._request("POST", "/tool-result", Ack, report)
        return ack or Ack()

    async def finish(self, report: FinishReport) -> Ack:
        """Report how the turn ended."""
        ack = await self._request("POST", "/finish", Ack, report)
        return ack or Ack()

    async def control(self, interaction_id: str) -> Control:
        """Read the interaction's control state (cancel)."""
        control = await self._request("GET", "/control", Control, interaction_id=interaction_id)
        return control or Control()
