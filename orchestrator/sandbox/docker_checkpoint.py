"""Pause a gVisor sandbox with its processes and memory (an engine checkpoint), and resume it there.

Only under gVisor: `runsc` saves its whole user-space kernel, processes and memory into the
checkpoint; runc's CRIU fails on these hosts (`criu failed: type DUMP errno 0`). The engine must run
with experimental features (`scripts/ensure-engine.sh` turns them on); an engine without them, or a
sandbox under another runtime, is never paused (`pausable` says no) and the caller stops it instead.

A sandbox has at most one checkpoint, `CHECKPOINT`, and only between its pause and its next start:
`resume` deletes it whether the restore worked or not, so no later start can bring back memory older
than the workspace. A failed checkpoint or restore leaves the container exited; it then starts anew
(a restore the engine refuses with its transient "already exists" is tried again first).
The docker SDK has no checkpoint calls: these are the engine's REST endpoints, through its client.
After each pause, the state runsc 2022-12-19 leaves behind for a sandbox restored before is cleared
(`gvisor_state`), or the sandbox could never start again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from orchestrator.sandbox.backend import SandboxError
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.gvisor_state import clear, clearable
from orchestrator.sandbox.runtimes import GVISOR

__all__ = ["CHECKPOINT", "checkpoints", "forget", "pausable", "pause", "resume", "runsc_for_checkpoints"]

CHECKPOINT = "warren-idle"
_UPLOAD_RACE = "already exists"
"""The engine's occasional refusal of a restore (moby#42900: "failed to upload checkpoint to containerd:
commit failed: content sha256:...: already exists", a blob of an earlier upload not yet collected):
the restore is asked again a moment later."""
_RESTORE_ATTEMPTS = 3
_RETRY_S = 0.5
log = logging.getLogger("orchestrator.sandbox.docker_checkpoint")


def runsc_for_checkpoints(info: dict[str, Any]) -> str:
    """The runsc binary of an engine (`docker info`) that takes checkpoints of gVisor sandboxes whose
    leftover state this process can clear; "" when pausing is not possible here."""
    runtime = (info.get("Runtimes") or {}).get(GVISOR) or {}
    path = str(runtime.get("path") or "") if isinstance(runtime, dict) else ""
    return path if info.get("ExperimentalBuild") and clearable() else ""


async def pausable(engine: DockerEngine, sandbox_id: str, runsc: str) -> bool:
    """Whether the sandbox runs under gVisor and the engine can pause it (`runsc` not empty)."""
    if not runsc:
        return False
    container = await engine.container(sandbox_id)
    return bool(container.attrs.get("HostConfig", {}).get("Runtime") == GVISOR)


async def pause(engine: DockerEngine, sandbox_id: str, runsc: str) -> bool:
    """Checkpoint the running sandbox and stop it; False when the engine refused (logged)."""
    await _drop(engine, sandbox_id)  # one a failed delete left: a new pause replaces it
    order = {"CheckpointID": CHECKPOINT, "Exit": True}
    try:
        await _rest(engine, "post_json", "/containers/{0}/checkpoints", sandbox_id, data=order)
    except SandboxError as exc:
        log.warning("sandbox %s: checkpoint failed, its processes are lost: %s", sandbox_id[:12], exc)
        await clear(runsc, sandbox_id)
        return False
    return await clear(runsc, sandbox_id)


async def resume(engine: DockerEngine, sandbox_id: str) -> bool:
    """Start the sandbox from its checkpoint, then delete it; False when it has none or the restore
    failed (logged; the container is left stopped, for a plain start)."""
    if CHECKPOINT not in await checkpoints(engine, sandbox_id):
        return False
    try:
        for attempt in range(1, _RESTORE_ATTEMPTS + 1):
            try:
                await _rest(
                    engine, "post", "/containers/{0}/start", sandbox_id, params={"checkpoint": CHECKPOINT}
                )
                return True
            except SandboxError as exc:
                if attempt == _RESTORE_ATTEMPTS or _UPLOAD_RACE not in str(exc):
                    log.warning("sandbox %s: restore failed, starting it anew: %s", sandbox_id[:12], exc)
                    return False
                log.info("sandbox %s: restore refused (%s); asking again", sandbox_id[:12], exc)
                await asyncio.sleep(_RETRY_S * attempt)
        return False
    finally:
        await _drop(engine, sandbox_id)


async def checkpoints(engine: DockerEngine, sandbox_id: str) -> list[str]:
    """The names of the sandbox's checkpoints (none on an engine without experimental features)."""
    try:
        found = await _rest(engine, "get", "/containers/{0}/checkpoints", sandbox_id)
    except SandboxError:
        return []
    return [str(item.get("Name")) for item in found or [] if isinstance(item, dict)]


async def forget(engine: DockerEngine, sandbox_id: str) -> None:
    """Delete the sandbox's pause, if any (a plain stop: its next start begins anew)."""
    await _drop(engine, sandbox_id)


async def _drop(engine: DockerEngine, sandbox_id: str) -> None:
    with contextlib.suppress(SandboxError):
        await _rest(engine, "delete", "/containers/{0}/checkpoints/{1}", sandbox_id, CHECKPOINT)


async def _rest(engine: DockerEngine, method: str, path: str, *ids: str, **kwargs: Any) -> Any:
    """One call of the engine's REST API through the SDK's client (its session, socket and version),
    on a worker thread; an error status raises as `SandboxError` (or `SandboxNotFoundError`)."""
    api: Any = (await engine.client()).api

    def send() -> Any:
        response = getattr(api, f"_{method}")(api._url(path, *ids), **kwargs)
        api._raise_for_status(response)  # the SDK's APIError, which `call` maps
        return response.json() if response.content else None

    return await engine.call(send)
