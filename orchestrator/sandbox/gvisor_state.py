"""Clearing the state runsc leaves behind when a restored gVisor sandbox is paused again.

runsc 2022-12-19 (Debian 12's) marks a sandbox that was restored from a checkpoint and then
checkpointed again "paused" instead of deleting its state, so the container's next start, from the
checkpoint or not, fails with "id already in use" and the environment is stuck. After each pause
`clear` deletes that state with runsc's own `delete --force` (which removes the files, then panics
on the status change: its exit code is not trusted, the files' absence is checked). The state lives
where Docker 20.10's shim keeps runsc's (`--root`), under the engine's exec root on this host;
pausing is not offered where this process cannot clear it (`clearable`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

__all__ = ["RUNSC_ROOT", "clear", "clearable"]

RUNSC_ROOT = Path("/run/docker/runtime-runc/moby")
_DELETE_S = 10.0
log = logging.getLogger("orchestrator.sandbox.gvisor_state")


def clearable(root: Path = RUNSC_ROOT) -> bool:
    """Whether this process may delete runsc's state here (the engine's host, as root)."""
    return root.is_dir() and os.access(root, os.W_OK | os.X_OK)


def _left(sandbox_id: str, root: Path) -> list[Path]:
    return list(root.glob(f"{sandbox_id}_sandbox:*.state"))


async def clear(runsc: str, sandbox_id: str, root: Path = RUNSC_ROOT) -> bool:
    """Delete the exited sandbox's leftover runsc state, if any; whether none is left."""
    if not _left(sandbox_id, root):
        return True
    proc = await asyncio.create_subprocess_exec(
        runsc,
        "--root",
        str(root),
        "delete",
        "--force",
        sandbox_id,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await asyncio.wait_for(proc.wait(), _DELETE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
    left = _left(sandbox_id, root)
    if left:
        log.error(
            "sandbox %s: runsc's state is left behind (%s); its next start will fail",
            sandbox_id[:12],
            left[0],
        )
    return not left
