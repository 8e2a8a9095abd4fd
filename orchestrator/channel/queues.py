"""Each environment's queue of turns, and the long polls its runner makes on it.

A poll waits for the next turn up to a deadline, or until the environment's channel closes
(`release`), so a closing channel never waits out its runner's polls; turns no longer running when
their poll takes them (cancelled while queued, or finished meanwhile) are skipped. `park` answers
the runner's next (or pending) poll with a `Park` order instead: its idle sandbox is about to be
paused with its memory.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from agents.protocol import Park, WorkItem

__all__ = ["PARK_FOR_S", "WorkQueues"]

PARK_FOR_S = 10.0
"""How long a parked runner stays off the channel when no pause comes (`Park.for_s`)."""


class WorkQueues:
    """Turns waiting for a runner, per environment."""

    def __init__(self) -> None:
        self._queues: defaultdict[str, asyncio.Queue[WorkItem]] = defaultdict(asyncio.Queue)
        self._closing: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._parking: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._parked: dict[str, asyncio.Event] = {}

    async def put(self, environment_id: str, work: WorkItem) -> None:
        """Queue a turn for the environment's runner."""
        await self._queues[environment_id].put(work)

    async def next(
        self, environment_id: str, wait_s: float, take: Callable[[WorkItem], bool]
    ) -> WorkItem | Park | None:
        """The next turn `take` accepts (or a `Park` order), waiting up to `wait_s` seconds; None if
        none came."""
        queue, closing = self._queues[environment_id], self._closing[environment_id]
        parking = self._parking[environment_id]
        deadline = asyncio.get_running_loop().time() + wait_s
        while not closing.is_set():
            if parking.is_set() and queue.empty():  # a queued turn goes first
                return self._hand_park(environment_id)
            getter = asyncio.ensure_future(queue.get())
            woken = [asyncio.ensure_future(closing.wait()), asyncio.ensure_future(parking.wait())]
            remaining = max(0.0, deadline - asyncio.get_running_loop().time())
            await asyncio.wait({getter, *woken}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            for waiter in woken:
                waiter.cancel()
            if not getter.done():
                getter.cancel()
                if parking.is_set():
                    continue
                return None
            work = getter.result()
            if take(work):
                return work
        return None

    async def first(
        self, environment_id: str, wait_s: float, take: Callable[[WorkItem], bool]
    ) -> WorkItem | None:
        """The next turn `take` accepts, for a warm-pool runner's assignment, waiting up to `wait_s`
        seconds (0: only one queued already); an order to park waits for the runner's first poll."""
        queue, loop = self._queues[environment_id], asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            if queue.empty():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                try:
                    work = await asyncio.wait_for(queue.get(), remaining)
                except TimeoutError:
                    return None
            else:
                work = queue.get_nowait()
            if take(work):
                return work

    def park(self, environment_id: str) -> asyncio.Event:
        """Order the environment's runner to park; the event is set once one of its polls took it."""
        taken = self._parked[environment_id] = asyncio.Event()
        self._parking[environment_id].set()
        return taken

    def _hand_park(self, environment_id: str) -> Park:
        self._parking.pop(environment_id, None)
        taken = self._parked.pop(environment_id, None)
        if taken is not None:
            taken.set()
        return Park(for_s=PARK_FOR_S)

    def release(self, environment_id: str) -> None:
        """Wake the environment's long polls so its channel can close at once."""
        self._closing[environment_id].set()

    def reopen(self, environment_id: str) -> None:
        """Accept long polls for the environment again (its channel restarted, or its sandbox
        stopped or was paused): an order to park that no poll took is dropped."""
        self._closing.pop(environment_id, None)
        self._parking.pop(environment_id, None)
        self._parked.pop(environment_id, None)
