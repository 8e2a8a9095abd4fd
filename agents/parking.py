"""The runner's part in a pause that keeps memory: stay off the host's sockets until restored.

gVisor cannot save a sandbox that holds a connection to a host Unix socket, so before it pauses an
idle sandbox the orchestrator answers the runner's long poll with `Park`: the channel closes its
connections and waits here. The sandbox is then frozen, saved and, on its next use, restored
exactly here: all of its clocks jump by the time it was frozen, so a tick that ends far too late
means "restored", and the runner polls again at once. If no pause comes (the orchestrator stopped
the sandbox instead, or gave up), the wait ends after `for_s` seconds.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["sit_out"]

TICK_S = 0.05
FROZEN_S = 0.25
"""A tick this much later than asked was a freeze (a checkpoint and a restore), not a busy host."""


async def sit_out(
    for_s: float, since: float | None = None, tick_s: float = TICK_S, frozen_s: float = FROZEN_S
) -> bool:
    """Wait up to `for_s` seconds from `since` (a `time.monotonic()` reading; default now); True as
    soon as a tick shows the process was frozen meanwhile, the first tick counting from `since`.

    `since` is taken before the channel's connections close: the orchestrator checkpoints as soon as
    they are closed, so the freeze may come before this wait begins, and must still be seen."""
    start = before = time.monotonic() if since is None else since
    while before - start < for_s:
        await asyncio.sleep(tick_s)
        now = time.monotonic()
        if now - before > tick_s + frozen_s:
            return True
        before = now
    return False
