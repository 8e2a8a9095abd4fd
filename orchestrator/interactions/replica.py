"""This process as one replica of several on a shared PostgreSQL: its id, heartbeat and leases.

An interaction runs on the replica that holds its lease (`store/leases.py`): its creator leases it
in the insert's own transaction, and start-up recovery and takeover claim one before resuming it.
The heartbeat renews every lease the replica holds in one statement; a lease it finds taken by
another replica (it stalled past the lease) is dropped here, and its run must not store an ending
(`holds`). On SQLite there is no `Replica`: one process owns every interaction, as before.
"""

from __future__ import annotations

import logging
import secrets
import socket
from dataclasses import dataclass, field

from orchestrator.store import Store

__all__ = ["Replica"]

log = logging.getLogger("orchestrator.replicas")


@dataclass
class Replica:
    """One `warren serve` process among the replicas on its database.

    Args:
        store: the database (PostgreSQL).
        beat_s: seconds between heartbeats (each renews the leases).
        dead_after_s: a replica silent this many seconds is dead: its leases lapse and are taken over.
    """

    store: Store
    beat_s: float = 2.0
    dead_after_s: float = 10.0
    id: str = field(default_factory=lambda: f"rep_{secrets.token_hex(8)}")
    host: str = field(default_factory=socket.gethostname)
    held: set[str] = field(default_factory=set)
    """The interactions this replica runs (leased to it)."""
    cancelling: set[str] = field(default_factory=set)
    """Those whose cancel, requested through another replica, was handed to the run already."""

    def lease(self) -> tuple[str, float]:
        """What `InteractionRepository.create` needs to lease a new interaction to this replica."""
        return self.id, self.dead_after_s

    async def claim(self, interaction_id: str) -> bool:
        """Take a lapsed (or never taken) lease; whether this replica now holds it."""
        if await self.store.leases.claim(interaction_id, self.id, self.dead_after_s):
            self.held.add(interaction_id)
            return True
        return False

    def holds(self, interaction_id: str) -> bool:
        """Whether this replica still holds the interaction (a run taken over must end quietly)."""
        return interaction_id in self.held

    async def release(self, interaction_id: str) -> None:
        """The interaction's ending is stored: its lease goes."""
        self.held.discard(interaction_id)
        await self.store.leases.release(interaction_id, self.id)

    async def beat(self) -> set[str]:
        """Refresh the heartbeat and renew the leases; forget those another replica took. Returns
        the interactions whose runs to cancel now: asked through another replica (each once, while
        its request stands), or deleted through one."""
        before = set(self.held)  # committed before the renewal: one added meanwhile may be missing
        beat = await self.store.leases.beat(self.id, self.host, self.dead_after_s)
        lost = (before - beat.held) & self.held
        if lost:
            log.warning("no longer held here (taken over, or deleted elsewhere): %s", sorted(lost))
            self.held -= lost
        new = beat.cancel - self.cancelling
        self.cancelling = set(beat.cancel)  # a request stands until its ending drops the lease
        return new

    async def live(self) -> set[str]:
        """The ids of the replicas heard from lately (this one included)."""
        return set(await self.store.leases.live(self.dead_after_s))

    async def retire(self) -> None:
        """Clean shutdown: give up every lease at once, so another replica takes over without waiting."""
        self.held.clear()
        await self.store.leases.retire(self.id)
