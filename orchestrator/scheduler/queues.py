"""One tenant's waiting jobs: first in, first out within each service tier."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from orchestrator.scheduler.tiers import TIERS, TierAging

__all__ = ["TenantQueue", "Waiting"]


@dataclass(eq=False)
class Waiting:
    """One submitted job: waiting for its slot until `go` is set, then running."""

    tenant: str
    rank: int
    """Its service tier's rank (0 is `priority`)."""
    since: float
    """When it was submitted (the scheduler's clock)."""
    order: int
    """Its place in the order of submissions: first come, first served within a class."""
    go: asyncio.Future[None]
    granted: bool = False
    """Set when it was given a slot (and counted as running)."""


class TenantQueue:
    """The tenant's waiting jobs, one line per tier.

    The head of a tier's line has waited longest, so aging has raised it at least as far as any job
    behind it: the tenant's next job is the best of the heads, the earlier one on a tie.
    """

    def __init__(self) -> None:
        self._lines: tuple[deque[Waiting], ...] = tuple(deque() for _ in TIERS)

    def __len__(self) -> int:
        return sum(len(line) for line in self._lines)

    def append(self, entry: Waiting) -> None:
        """Put `entry` at the end of its tier's line."""
        self._lines[entry.rank].append(entry)

    def best(self, aging: TierAging, now: float) -> tuple[int, Waiting] | None:
        """The class the tenant's next job counts as now, and that job (None when none waits)."""
        heads = [
            (aging.rank(line[0].rank, now - line[0].since), line[0].order, line[0])
            for line in self._lines
            if line
        ]
        if not heads:
            return None
        rank, _, entry = min(heads, key=lambda head: head[:2])
        return rank, entry

    def remove(self, entry: Waiting) -> bool:
        """Take `entry` out of its line (it got a slot, or was cancelled); False when not here."""
        line = self._lines[entry.rank]
        if entry not in line:
            return False
        if line[0] is entry:
            line.popleft()
        else:
            line.remove(entry)
        return True
