"""Each environment's queue of turns, and the long polls its runner makes on it.

A poll waits for the next turn up to a deadline, or until the environment's channel closes
(`release`), so a closing channel never waits out its runner's polls; turns no longer running when
their poll takes them (cancelled while queued, or finished meanwhile) are skipped.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from agents.protocol import WorkItem

__all__ = ["WorkQueues"]


class WorkQueues:
    """Turns waiting for a runner, per environment."""

    def __init__(self) -> None:
        self._queues: defaultdict[str, asyncio.Queue[WorkItem]] = defaultdict(asyncio.Queue)
        self._closing: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def put(self, environment_id: str, work: WorkItem) -> None:
        """Queue a turn for the environment's runner."""
        await self._queues[environment_id].put(work)

    async def next(
        self, environment_id: str, wait_s: float, take: Callable[[WorkItem], bool]
    ) -> WorkItem | None:
        """The next turn `take` accepts, waiting up to `wait_s` seconds; None if none came."""
        queue, closing = self._queues[environment_id], self._closing[environment_id]
        deadline = asyncio.get_running_loop().time() + wait_s
        while not closing.is_set():
            getter = asyncio.ensure_future(queue.get())
            closed = asyncio.ensure_future(closing.wait())
            remaining = max(0.0, deadline - asyncio.get_running_loop().time())
            await asyncio.wait({getter, closed}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            if not getter.done():
                getter.cancel()
                return None
            work = getter.result()
            if take(work):
                return work
        return None

    def release(self, environment_id: str) -> None:
        """Wake the environment's long polls so its channel can close at once."""
        self._closing[environment_id].set()

    def reopen(self, environment_id: str) -> None:
        """Accept long polls for the environment again (its channel restarted)."""
        self._closing.pop(environment_id, None)
