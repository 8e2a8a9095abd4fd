"""Following an interaction's SSE events from the CLI, resuming after dropped connections.

A reconnect asks for the events after the last `event_id` seen (`last_event_id`), so every event
is yielded exactly once; the follower gives up only when the server has not answered for a
while, and a stream that ends before `[DONE]` counts as dropped, not as finished.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable

import httpx

from orchestrator.cli.client_transport import ApiTransport, ConnectionFailed, Json, api_error

__all__ = ["EventCalls"]


class EventCalls(ApiTransport):
    """The event stream of an interaction (`GET /interactions/{id}?stream=true`)."""

    async def events(
        self,
        interaction_id: str,
        after: str | None = None,
        *,
        retry_for_s: float = 30.0,
        on_reconnect: Callable[[str | None], None] | None = None,
    ) -> AsyncIterator[Json]:
        """Follow an interaction's SSE events until its end, resuming after dropped connections.

        Each event is yielded once: a reconnect asks for the events after the last `event_id` seen.

        Args:
            after: start after this event id (`None`: from the first event).
            retry_for_s: give up when the server has not answered for this many **seconds**.
            on_reconnect: called with the last event id before each reconnect.

        Raises:
            ConnectionFailed: the server stayed unreachable for `retry_for_s`.
            ApiError: the server refused the stream (e.g. 404).
        """
        last = after
        failing_since: float | None = None
        delay = 0.2
        while True:
            try:
                async for event in self._stream_once(interaction_id, last):
                    failing_since, delay = None, 0.2
                    if event.get("event_id") is not None:
                        last = str(event["event_id"])
                    yield event
                    if event.get("event_type") == "interaction.completed":
                        return
                return  # `[DONE]` without a completed event: the stream is over
            except (httpx.TransportError, _Dropped) as exc:
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > retry_for_s:
                    raise ConnectionFailed(f"lost the event stream of {interaction_id}: {exc}") from exc
            if on_reconnect is not None:
                on_reconnect(last)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _stream_once(self, interaction_id: str, after: str | None) -> AsyncIterator[Json]:
        params = {"stream": "true"}
        if after is not None:
            params["last_event_id"] = after
        url = f"/{self.version}/interactions/{interaction_id}"
        timeout = httpx.Timeout(self._http.timeout.connect, read=None)
        async with self._http.stream("GET", url, params=params, timeout=timeout) as response:
            if response.status_code >= 400:
                await response.aread()
                raise api_error(response)
            data: list[str] = []
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    payload, data = "\n".join(data), []
                    if payload == "[DONE]":
                        return
                    yield json.loads(payload)
        raise _Dropped("the stream ended before [DONE]")


class _Dropped(Exception):
    """The server closed an event stream early."""
