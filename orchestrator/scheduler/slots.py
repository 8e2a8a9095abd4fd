"""Runs interactions as tasks with bounded concurrency, by service tier and fairly across tenants.

Work waits in a queue per tenant until a global slot and one of its tenant's slots are free. When
a slot frees, it goes to the best class of work waiting (`tiers`: `priority`, `standard`, `flex`,
then `deferred`, raised by aging); among the tenants whose next job is of that class, to the one
with the fewest jobs running, and among those to the one served longest ago: a tenant that floods
the queue does not make the others wait behind its backlog; each gets the next free slot in turn.
A tenant may keep at most `max_queued_per_tenant` jobs waiting; `admit` refuses one more
(`QueueFullError`, 429 on the API) before anything is stored.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from orchestrator.scheduler.admission import Admission, QueueFullError
from orchestrator.scheduler.queues import TenantQueue, Waiting
from orchestrator.scheduler.tiers import DEFAULT_TIER, TierAging, tier_rank

__all__ = ["Scheduler"]

log = logging.getLogger("orchestrator.scheduler")


class Scheduler:
    """Bounded, tiered, fair, cancellable execution of interaction jobs.

    Args:
        max_running: most jobs running at once in this process.
        max_running_per_tenant: most jobs of one tenant running at once.
        max_queued_per_tenant: most jobs of one tenant admitted and waiting for a slot.
        aging: how fast waiting raises a job's class (`tiers`).
        clock: seconds, only ever compared (monotonic; a test passes a fake one).
    """

    def __init__(
        self,
        max_running: int = 64,
        max_running_per_tenant: int = 16,
        max_queued_per_tenant: int = 100,
        *,
        aging: TierAging | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_running = max_running
        self._max_per_tenant = max_running_per_tenant
        self._max_queued = max_queued_per_tenant
        self._aging = aging or TierAging()
        self._now = clock
        self._submissions = itertools.count()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, TenantQueue] = {}
        """Jobs waiting for a slot, per tenant (only tenants with some)."""
        self._running: Counter[str] = Counter()
        self._running_total = 0
        self._admitted: Counter[str] = Counter()
        """Admissions not yet submitted, per tenant: they count against the queue limit."""
        self._served: dict[str, int] = {}
        """When each tenant with work here was last given a slot (a tick of `_turns`)."""
        self._turns = itertools.count(1)

    def admit(self, tenant: str) -> Admission:
        """Hold a place in `tenant`'s queue for a job about to be submitted.

        Raises:
            QueueFullError: the tenant already has `max_queued_per_tenant` jobs waiting or admitted.
        """
        if self.queued(tenant) >= self._max_queued:
            raise QueueFullError(self._max_queued)
        self._admitted[tenant] += 1
        return Admission(tenant, self._unadmit)

    def _unadmit(self, tenant: str) -> None:
        self._admitted[tenant] -= 1
        if self._admitted[tenant] <= 0:
            del self._admitted[tenant]

    def queued(self, tenant: str) -> int:
        """How many of the tenant's jobs wait for a slot (admitted ones included)."""
        return len(self._waiting.get(tenant, ())) + self._admitted[tenant]

    def submit(
        self,
        tenant: str,
        job_id: str,
        job: Callable[[], Awaitable[None]],
        admission: Admission | None = None,
        cancelled: Callable[[], Awaitable[None]] | None = None,
        tier: str = DEFAULT_TIER,
    ) -> asyncio.Task[None]:
        """Queue `job` under `job_id` in service tier `tier`; it starts when a global and a tenant
        slot are free and no better class of work waits for them.

        `admission` (from `admit`) is consumed; without one the queue limit does not apply (work
        accepted earlier, such as interactions resumed after a restart). `cancelled` runs instead of
        `job` when the job is cancelled before it got a slot, so it can still record its ending.
        """
        rank = tier_rank(tier)
        if admission is not None:
            admission.release()
        future = asyncio.get_running_loop().create_future()
        entry = Waiting(tenant, rank, self._now(), next(self._submissions), future)
        self._waiting.setdefault(tenant, TenantQueue()).append(entry)
        self._served.setdefault(tenant, 0)

        async def run() -> None:
            try:
                await entry.go
            except asyncio.CancelledError:
                if cancelled is not None:
                    await cancelled()
                raise
            await job()

        task = asyncio.create_task(run(), name=f"interaction:{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._finished(job_id, entry, done))
        self._dispatch()
        return task

    def _dispatch(self) -> None:
        """Hand free slots to waiting jobs, best class first, then one tenant at a time (module notes)."""
        while self._running_total < self._max_running:
            now = self._now()
            heads = []
            for tenant, queue in self._waiting.items():
                if self._running[tenant] < self._max_per_tenant and (best := queue.best(self._aging, now)):
                    heads.append((best[0], self._running[tenant], self._served[tenant], best[1]))
            if not heads:
                return
            entry = min(heads, key=lambda head: head[:3])[3]
            tenant = entry.tenant
            self._forget(entry)
            if entry.go.done():  # its task was cancelled while waiting
                continue
            entry.granted = True
            self._running[tenant] += 1
            self._running_total += 1
            self._served[tenant] = next(self._turns)
            entry.go.set_result(None)

    def _forget(self, entry: Waiting) -> None:
        """Take a waiting job out of its tenant's queue (a no-op when it is not there)."""
        queue = self._waiting.get(entry.tenant)
        if queue is not None and queue.remove(entry) and not queue:
            del self._waiting[entry.tenant]

    def _finished(self, job_id: str, entry: Waiting, task: asyncio.Task[None]) -> None:
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]
        tenant = entry.tenant
        if entry.granted:
            self._running[tenant] -= 1
            self._running_total -= 1
            if self._running[tenant] <= 0:
                del self._running[tenant]
        else:  # cancelled while waiting
            self._forget(entry)
        if tenant not in self._running and tenant not in self._waiting:
            self._served.pop(tenant, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s crashed", job_id, exc_info=task.exception())
        self._dispatch()

    def depth(self) -> int:
        """How many jobs wait for a slot (the `warren_queue_depth` gauge)."""
        return len(self._tasks) - self._running_total

    def running(self, job_id: str) -> bool:
        """Whether the job is queued or running."""
        return job_id in self._tasks

    async def wait(self, job_id: str) -> None:
        """Wait for a job to end (however it ends)."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.wait({task})

    async def cancel(self, job_id: str) -> bool:
        """Cancel a job and wait for it to unwind; False when it was not running."""
        task = self._tasks.get(job_id)
        if task is None:
            return False
        task.cancel()
        await asyncio.wait({task})
        return True

    async def drain(self, timeout_s: float) -> None:
        """Wait up to `timeout_s` seconds for the jobs running now to end (graceful shutdown)."""
        tasks = list(self._tasks.values())
        if tasks and timeout_s > 0:
            await asyncio.wait(tasks, timeout=timeout_s)

    async def shutdown(self) -> None:
        """Cancel every job (server shutdown)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
