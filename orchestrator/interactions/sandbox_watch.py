"""One agent interaction's watch on its sandbox: why a command died, how long it may run, what it used.

A reading of the sandbox's own counters (`SandboxBackend.usage`) is taken when the turn starts;
after a step that reports a failed tool call the hub asks `verdict`, which reads them again: an OOM
kill, a refused fork or a full workspace since the start ends the interaction with its code
(`out_of_memory`, `process_limit`, `disk_full`); a sandbox that died as a whole (gVisor's memory
limit covers its kernel) is read the same way when the runner falls silent (`SandboxEnded`).
`bounded` ends a turn that outlives its wall-clock budget inside a tool call (the runner only checks
between steps) with `wall_clock_limit`. At the
end, `account` stores the difference as the interaction's `warren_usage` and adds it to the
environment's. The egress proxy's tally of the environment (`egress.meter.Tally`), when it has a
proxy, gives `egress_bytes` the same way: bytes relayed since the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

from orchestrator.egress.meter import Tally
from orchestrator.sandbox.backend import SandboxBackend
from orchestrator.sandbox.usage import SandboxUsage, end_reason
from orchestrator.store import Store
from orchestrator.store.errors import NotFoundError

__all__ = ["WALL_CLOCK_GRACE_S", "SandboxEnded", "SandboxWatch", "WallClockExceeded"]

log = logging.getLogger(__name__)
T = TypeVar("T")

WALL_CLOCK_GRACE_S = 2.0
"""Past its wall-clock budget, a turn still in a tool call gets this long before it is cut short
(the runner's own check between steps ends most turns first, as `budget_exceeded`)."""


class WallClockExceeded(Exception):
    """The turn ran past its wall-clock budget inside a tool call and was stopped."""


class SandboxEnded(Exception):
    """The sandbox died under the turn, and `verdict` says why (e.g. OOM-killed as a whole)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class SandboxWatch:
    """Readings of one sandbox over one interaction's turn."""

    def __init__(self, backend: SandboxBackend, sandbox_id: str, egress: Tally | None = None) -> None:
        self._backend = backend
        self._sandbox_id = sandbox_id
        self._egress = egress  # held for the turn: the proxy finds the same tally if it restarts
        self._egress_start = 0 if egress is None else egress.bytes
        self._before: asyncio.Task[SandboxUsage | None] | None = None
        self.reason: tuple[str, str] | None = None
        """`(code, message)` once `verdict` found why a command died."""

    def start(self) -> None:
        """Take the reading the turn's figures are counted from, beside the turn (an exec into the
        sandbox costs tens of milliseconds; the first model call need not wait for it)."""
        self._before = asyncio.ensure_future(self._read())

    async def _baseline(self) -> SandboxUsage | None:
        return None if self._before is None else await self._before

    async def verdict(self) -> tuple[str, str] | None:
        """Why a command died since the start (a `channel.ports.Verdict`), or None."""
        before, now = await self._baseline(), await self._read(tasks=True)
        if before is None or now is None:
            return None
        self.reason = self.reason or end_reason(before, now)
        return self.reason

    async def bounded(self, turn: Awaitable[T], max_wall_s: float) -> T:
        """Await the turn, stopping it (the hub's cancel path) once it outlives `max_wall_s`."""
        try:
            return await asyncio.wait_for(turn, max_wall_s + WALL_CLOCK_GRACE_S)
        except TimeoutError:
            raise WallClockExceeded(
                f"a command was still running when the wall-clock budget of {max_wall_s:.0f}s ran out"
            ) from None

    async def usage(self) -> dict[str, float] | None:
        """What the sandbox used since `start`, as the wire's `warren_usage`; None when unreadable."""
        before, now = await self._baseline(), await self._read()
        if before is None or now is None:
            return None
        usage: dict[str, float] = {
            "cpu_seconds": round(max(0, now.cpu_ns - before.cpu_ns) / 1e9, 3),
            "peak_memory_bytes": now.peak_memory_bytes,
            "workspace_bytes": now.workspace_bytes,
        }
        if self._egress is not None:
            usage["egress_bytes"] = self._egress.bytes - self._egress_start
        return usage

    async def account(self, store: Store, tenant: str, environment_id: str) -> dict[str, float] | None:
        """Read the turn's usage and add it to the environment's; the interaction's figures."""
        usage = await self.usage()
        if usage is not None:
            with contextlib.suppress(NotFoundError):  # deleted while it ran
                await store.environments.add_usage(tenant, environment_id, usage)
        return usage

    async def _read(self, tasks: bool = False) -> SandboxUsage | None:
        try:
            return await self._backend.usage(self._sandbox_id, tasks=tasks)
        except Exception as exc:  # a stopped or busy sandbox: no figures, never a failed interaction
            log.info("sandbox %s: usage unreadable: %s", self._sandbox_id, exc)
            return None
