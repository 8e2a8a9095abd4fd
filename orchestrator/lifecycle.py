"""Environment lifecycle while the server runs: idle sandboxes stop, and a reaper keeps things tidy.

An environment unused for `idle_stop_s` seconds (no interaction running in it, no file call) has its
sandbox stopped; the workspace volume stays, so the next use resumes it with `/workspace` intact.
With `keep_memory` the sandbox is paused with its processes instead where the backend can.
The same background loop runs the reconciler's container pass (`Reconciler.reap`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from orchestrator.environments.owners import Liveness
from orchestrator.environments.service import EnvironmentService
from orchestrator.interactions.ending import fail_unfinished
from orchestrator.observability.metrics import sandboxes_seen
from orchestrator.reconcile import Reconciler
from orchestrator.store import Store
from orchestrator.store.errors import NotFoundError
from orchestrator.store.models import utcnow

__all__ = ["Lifecycle", "stop_idle"]

log = logging.getLogger("orchestrator.lifecycle")


async def stop_idle(
    store: Store, environments: EnvironmentService, idle_stop_s: float, *, keep_memory: bool = False
) -> int:
    """Stop (or, with `keep_memory`, pause) the sandboxes of environments idle for `idle_stop_s`
    **seconds**; returns how many."""
    cutoff = utcnow() - timedelta(seconds=idle_stop_s)
    busy = {(r.tenant, r.environment_id) for r in await store.interactions.unfinished() if r.environment_id}
    stopped = 0
    for record in await store.environments.with_sandboxes():
        if record.status == "stopped" or record.last_accessed >= cutoff or (record.tenant, record.id) in busy:
            continue
        with contextlib.suppress(NotFoundError):  # deleted meanwhile
            if await environments.stop(record.tenant, record.id, idle_before=cutoff, keep_memory=keep_memory):
                stopped += 1
    if stopped:
        log.info("stopped %d idle sandboxes", stopped)
    return stopped


class Lifecycle:
    """The start-up reconcile and the background loop (idle stop, reaper), for the app's lifespan.

    Args:
        store: the database.
        environments: the sandboxes to look after; None when the server runs without sandboxes.
        idle_stop_s: stop a sandbox unused this long (**seconds**); 0 never stops one.
        keep_memory: pause idle sandboxes with their processes where the backend can.
        every_s: how often the loop runs (**seconds**).
        grace_s: age (**seconds**) below which an unclaimed container or volume is left alone.
        recover: at start-up, deals with the interactions a previous process left unfinished
            (resumes or fails them); by default they all end `failed`.
        replica: with replicas on the host, the reaper leaves live replicas' pool slots alone.
    """

    def __init__(
        self,
        store: Store,
        environments: EnvironmentService | None,
        *,
        idle_stop_s: float = 600.0,
        keep_memory: bool = False,
        every_s: float = 30.0,
        grace_s: float = 120.0,
        recover: Callable[[], Awaitable[object]] | None = None,
        replica: Liveness | None = None,
    ) -> None:
        self.store = store
        self.recover = recover
        self.environments = environments
        self.idle_stop_s = idle_stop_s
        self.keep_memory = keep_memory
        self.every_s = every_s
        self.reconciler = (
            None
            if environments is None
            else Reconciler(store, environments, grace_s=grace_s, replica=replica)
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Resume or end what a previous process left running, reconcile sandboxes, start the loop."""
        if self.recover is not None:
            await self.recover()
        else:
            await fail_unfinished(self.store)
        if self.reconciler is not None:
            await self.reconciler.reap()
            self._task = asyncio.create_task(self._loop(), name="warren-lifecycle")

    async def close(self) -> None:
        """Stop the background loop (server shutdown); sandboxes keep running."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def tick(self) -> None:
        """One round: stop idle sandboxes, then reap."""
        if self.environments is None or self.reconciler is None:
            return
        if self.idle_stop_s > 0:
            await stop_idle(self.store, self.environments, self.idle_stop_s, keep_memory=self.keep_memory)
        await self.reconciler.reap()
        rows = await self.store.environments.with_sandboxes()  # the gauges, once a round
        stopped = sum(row.status == "stopped" for row in rows)
        sandboxes_seen(len(rows) - stopped, stopped)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.tick()
            except Exception:
                log.exception("lifecycle round failed; retrying in %.0f s", self.every_s)
