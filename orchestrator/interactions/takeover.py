"""The replica's background round: heartbeat (which renews its leases and reads the cancels asked
through other replicas), then take over what dead replicas left.

Every `beat_s` seconds the replica beats and then runs start-up recovery's own code path
(`recovery.recover` with the replica), which claims each interaction whose lease lapsed and resumes
it: its environment's channel socket is bound again here (same host, shared `data_dir/run`), the
runner reconnects by itself, and the step ledger answers what was already stored. At shutdown the
takeover stops first; the heartbeat goes on while running interactions drain (their leases must
not lapse meanwhile), and `close` then gives every lease up at once (`Replica.retire`). A cancel
the heartbeat reads is handed to `cancel` (the scheduler's, as a local cancel) in a task of its
own: the round does not wait for the run to unwind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from orchestrator.interactions.replica import Replica

__all__ = ["Takeover"]

log = logging.getLogger("orchestrator.replicas")


class Takeover:
    """Runs the replica's heartbeat and takeover loop for the server's lifetime.

    Args:
        replica: this process among the replicas.
        recover: claims and resumes the interactions of dead replicas (`InteractionService.recover`).
        cancel: stops an interaction's run here (`InteractionService.cancel_run`).
    """

    def __init__(
        self,
        replica: Replica,
        recover: Callable[[], Awaitable[object]],
        cancel: Callable[[str], Awaitable[object]] | None = None,
    ) -> None:
        self.replica = replica
        self.recover = recover
        self.cancel = cancel
        self._cancels: set[asyncio.Task[object]] = set()
        self.taking = True
        """False once shutdown began: only the heartbeat goes on."""
        self._task: asyncio.Task[None] | None = None

    async def register(self) -> None:
        """The first heartbeat, before start-up recovery (which then claims as this replica)."""
        await self.replica.beat()
        log.info("replica %s on %s registered", self.replica.id, self.replica.host)

    def start(self) -> None:
        """Start the loop (after start-up recovery)."""
        self._task = asyncio.create_task(self._loop(), name="warren-replica")

    def stop_taking(self) -> None:
        """Shutdown began: take nothing more over (the heartbeat keeps this replica's leases)."""
        self.taking = False

    async def close(self) -> None:
        """Stop the loop and give up every lease (the interactions left are another replica's now)."""
        self.taking = False
        for task in list(self._cancels):  # the cancel itself is sent; only its wait ends here
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.replica.retire()
        except Exception:
            log.exception("could not give up the leases; they lapse in %.0f s", self.replica.dead_after_s)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.replica.beat_s)
            try:
                self._cancel(await self.replica.beat())
                if self.taking:
                    await self.recover()
            except Exception:
                log.exception("replica round failed; retrying in %.1f s", self.replica.beat_s)

    def _cancel(self, interaction_ids: set[str]) -> None:
        if self.cancel is None:
            return
        for interaction_id in interaction_ids:
            log.info("cancelling interaction %s, as asked through another replica", interaction_id)
            task: asyncio.Task[object] = asyncio.ensure_future(self.cancel(interaction_id))
            self._cancels.add(task)
            task.add_done_callback(self._cancels.discard)
