"""The live event log of running interactions: SSE fan-out and resume without a database round trip.

Each running interaction's events stay in memory, numbered from 0, so any number of subscribers can
follow it and resume after any event id; the store receives the same events in batches at step
boundaries. Once an interaction ends, its log is kept a little longer for late readers and then
dropped: from then on the stored events answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LiveLog", "LiveLogs"]

Event = dict[str, Any]
Events = AsyncGenerator[Event | None, None]
TERMINAL_EVENTS = frozenset({"interaction.completed", "error"})


@dataclass
class LiveLog:
    """The events of one interaction, in order, with a condition to wake subscribers."""

    interaction_id: str
    events: list[Event] = field(default_factory=list)
    flushed: int = 0
    """How many leading events the store already holds."""
    finished_at: float | None = None
    _held_from: int | None = None
    """Subscribers see the events before this position only (`hold`); None: every event."""
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def append(self, event_type: str, **payload: Any) -> Event:
        """Add an event (its `event_id` is its position) and wake every subscriber."""
        event = {"event_type": event_type, "event_id": str(len(self.events)), **payload}
        self.events.append(event)
        if event_type in TERMINAL_EVENTS:
            self.finished_at = time.monotonic()
        async with self._changed:
            self._changed.notify_all()
        return event

    def hold(self) -> None:
        """Keep the events appended from now on from subscribers until `release`: an ending's events
        reach a stream only once the ending is stored, so a client that reads the interaction after
        its stream ended finds the final status."""
        if self._held_from is None:
            self._held_from = len(self.events)

    async def release(self) -> None:
        """Show the held events to subscribers."""
        self._held_from = None
        async with self._changed:
            self._changed.notify_all()

    def _shown(self) -> int:
        return len(self.events) if self._held_from is None else self._held_from

    def unflushed(self) -> list[Event]:
        """Events not yet handed to the store; marks them as handed."""
        batch = self.events[self.flushed :]
        self.flushed = len(self.events)
        return batch

    async def follow(self, after: int = -1, idle_timeout_s: float = 15.0) -> Events:
        """Yield events after position `after` as they arrive, until the terminal event.

        Yields `None` after `idle_timeout_s` seconds without events, so the caller can send a
        keep-alive and notice a dropped client.
        """
        position = after + 1
        while True:
            while position < self._shown():
                event = self.events[position]
                position += 1
                yield event
                if event["event_type"] in TERMINAL_EVENTS:
                    return
            if not await self._wait_past(position, idle_timeout_s):
                yield None  # outside the lock: a stalled reader must not hold up `append`

    async def _wait_past(self, position: int, timeout_s: float) -> bool:
        """Wait until an event at `position` exists; False after `timeout_s` without one.

        `asyncio.timeout` cancels the wait in this task; `wait_for` on 3.11 ran it in another
        task, so a subscriber cancelled mid-timeout could release a lock another one held.
        """
        try:
            async with asyncio.timeout(timeout_s), self._changed:
                await self._changed.wait_for(lambda: position < self._shown())
        except TimeoutError:
            return False
        return True


class LiveLogs:
    """The live logs of this process, by interaction id."""

    def __init__(self, keep_finished_s: float = 60.0) -> None:
        self._logs: dict[str, LiveLog] = {}
        self._keep_finished_s = keep_finished_s
        self._pruned_at = 0.0

    def open(self, interaction_id: str, stored: Sequence[Event] = ()) -> LiveLog:
        """Start the log of an interaction; `stored` are its events already in the store (resumed)."""
        self._prune()
        log = self._logs[interaction_id] = LiveLog(interaction_id, list(stored), len(stored))
        return log

    def get(self, interaction_id: str) -> LiveLog | None:
        """The live log, while it is kept."""
        return self._logs.get(interaction_id)

    def drop(self, interaction_id: str) -> None:
        """Forget a log (the interaction was deleted)."""
        self._logs.pop(interaction_id, None)

    def _prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at < 1.0:  # a scan per second is plenty; a scan per open is not
            return
        self._pruned_at = now
        horizon = now - self._keep_finished_s
        for key in [k for k, log in self._logs.items() if log.finished_at and log.finished_at < horizon]:
            del self._logs[key]
