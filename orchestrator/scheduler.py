"""Runs interactions as tasks with bounded concurrency, globally and per tenant, and cancels them.

Work waits for a slot (global and per tenant) before it starts, so one tenant cannot take every
slot; cancel stops a task wherever it is, waiting or running.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

__all__ = ["Scheduler"]

log = logging.getLogger("orchestrator.scheduler")


class Scheduler:
    """Bounded, cancellable execution of interaction jobs.

    Args:
        max_running: most jobs running at once in this process.
        max_running_per_tenant: most jobs of one tenant running at once.
    """

    def __init__(self, max_running: int = 64, max_running_per_tenant: int = 16) -> None:
        self._global = asyncio.Semaphore(max_running)
        self._per_tenant: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(max_running_per_tenant)
        )
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def submit(self, tenant: str, job_id: str, job: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Queue `job` under `job_id`; it starts when a global and a tenant slot are free."""

        async def run() -> None:
            async with self._per_tenant[tenant], self._global:
                await job()

        task = asyncio.create_task(run(), name=f"interaction:{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._finished(job_id, done))
        return task

    def _finished(self, job_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s crashed", job_id, exc_info=task.exception())

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
