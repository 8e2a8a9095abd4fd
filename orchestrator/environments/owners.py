"""Which replica made a warm-pool sandbox, so another replica on the host leaves it alone.

Replicas on one host share the engine and `data_dir`. A pool slot no environment row names yet is
known only to the replica that made it (`WarmPool.holds`); every other replica would see a stray.
Each slot therefore carries its maker's replica id (`dev.warren.replica`), and a slot whose maker
is alive is neither reaped nor has its folders removed by anyone else. A dead maker's slots are
strays like today's. Without replicas (SQLite) there is no label and nothing changes.
"""

from __future__ import annotations

from typing import Protocol

from orchestrator.sandbox.backend import LABEL_PREFIX, SandboxInfo

__all__ = ["REPLICA_LABEL", "Liveness", "kept_by_another"]

REPLICA_LABEL = f"{LABEL_PREFIX}replica"


class Liveness(Protocol):
    """This replica's id and the ids of the live ones (`interactions.replica.Replica`)."""

    id: str

    async def live(self) -> set[str]:
        """The replicas heard from lately."""
        ...


def kept_by_another(info: SandboxInfo, me: str, live: set[str]) -> bool:
    """Whether another live replica made this sandbox (its own pool holds it)."""
    maker = info.labels.get(REPLICA_LABEL)
    return maker is not None and maker != me and maker in live
