"""Commands in a running sandbox: a docker exec under a hard deadline, streamed, then swept.

The command runs under `timeout -s KILL`, which kills its whole process group at the deadline; a
sweep by the exec's marker (`EXEC_MARKER` in every process's environment) then kills anything that
left the group with setsid. The output is pumped from a worker thread to the event loop as it
arrives. A SIGKILL exit counts as an OOM kill only if the sandbox's own memory cgroup says so, or, when
the whole sandbox died under the command (gVisor's memory limit covers its kernel), the engine's
`OOMKilled`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from orchestrator.sandbox.backend import (
    ExecChunk,
    ExecRequest,
    ExecResult,
    SandboxError,
    SandboxNotFoundError,
)
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_labels import EXEC_MARKER
from orchestrator.sandbox.docker_output import output

__all__ = ["exec_stream", "oom_kills", "sweep"]

_KILLED_EXIT_CODES = (124, 137)  # `timeout` itself, or the group it took down with SIGKILL
_RUNTIME_LOST = 128
"""The exit code runsc gives a command it lost track of ("waiting on pid ... EOF"): its sandbox is dying."""
_DEADLINE_GRACE_S = 5.0
_ALIVE_POLL_S = 2.0
"""While a command runs, the sandbox's state is read this often: a sandbox that died (under gVisor the
memory limit kills the whole sandbox) ends the command as SIGKILLed, OOM-killed if the engine says so."""
_DYING_S = 3.0
"""How long a sandbox whose command the runtime lost, or that refused a sweep, may take to be seen stopped."""
# Kills every process that carries this exec's marker in its environment, including ones that
# left the process group with setsid. Runs as the sandbox user, who owns all of them.
_SWEEP = (
    'for d in /proc/[0-9]*; do grep -qzx "' + EXEC_MARKER + '=$1" "$d/environ" 2>/dev/null'
    ' && kill -9 "${d#/proc/}" 2>/dev/null; done; exit 0'
)
# Never forks (a sandbox at its process limit lets no pipeline start): the shell becomes awk on the
# first file there (cgroup v1, then v2), or prints 0 without one (gVisor shows none).
_OOM_COUNT = (
    "for f in /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events; do"
    ' [ -r "$f" ] && exec awk \'BEGIN { n = 0 } $1 == "oom_kill" { n = $2; exit } END { print n }\' "$f";'
    " done; echo 0"
)
_Frame = tuple[bytes | None, bytes | None]


async def exec_stream(engine: DockerEngine, request: ExecRequest) -> AsyncIterator[ExecChunk | ExecResult]:
    """Run a command, yielding output as it arrives and the `ExecResult` last."""
    client = await engine.client()
    exec_id = secrets.token_hex(8)
    cmd = ["timeout", "-s", "KILL", f"{request.timeout_s:.3f}", *request.cmd]
    env = {**request.env, EXEC_MARKER: exec_id}
    started = time.monotonic()
    handle = await engine.call(
        client.api.exec_create, request.sandbox_id, cmd, environment=env, workdir=request.workdir
    )
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[_Frame | BaseException | None] = asyncio.Queue()

    done = asyncio.Event()

    def pump() -> None:
        try:
            for frame in client.api.exec_start(handle["Id"], stream=True, demux=True):
                loop.call_soon_threadsafe(queue.put_nowait, frame)
            loop.call_soon_threadsafe(queue.put_nowait, None)
        except BaseException as exc:  # handed to the event loop, re-raised there
            loop.call_soon_threadsafe(queue.put_nowait, exc)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop may be closed at interpreter exit
                loop.call_soon_threadsafe(done.set)

    # A daemon thread, not the engine's pool: a stream blocks until its process ends, and a pool
    # worker blocked so is joined at interpreter exit (a sandbox left running would hang the exit).
    threading.Thread(target=pump, name="warren-exec-stream", daemon=True).start()
    stdout, stderr = bytearray(), bytearray()
    deadline = started + request.timeout_s + _DEADLINE_GRACE_S
    swept = cut = False
    ended: dict[str, Any] | None = None  # the sandbox's state, once it stopped under the command
    while True:
        left = deadline - time.monotonic()
        try:
            item = await asyncio.wait_for(queue.get(), timeout=max(0.0, min(left, _ALIVE_POLL_S)))
        except TimeoutError:
            ended = await _stopped(engine, request.sandbox_id)
            if ended is not None:
                break  # the engine never closes the stream of a sandbox that died (gVisor: OOM-killed)
            if left > _ALIVE_POLL_S:
                continue
            # The inner `timeout` should have fired; make sure, then keep draining.
            ended = await _sweep_unless_ended(engine, request.sandbox_id, exec_id)
            if ended is not None:
                break
            swept, deadline = True, time.monotonic() + _DEADLINE_GRACE_S
            continue
        if item is None:
            break
        if isinstance(item, BaseException):
            raise SandboxError(f"exec stream failed: {item}") from item
        out, err = item
        dropped = False
        if out:
            kept, dropped = _keep(stdout, out, request.max_output_bytes)
            if kept:
                yield ExecChunk(stream="stdout", data=kept)
        if err:
            kept, dropped_err = _keep(stderr, err, request.max_output_bytes)
            dropped = dropped or dropped_err
            if kept:
                yield ExecChunk(stream="stderr", data=kept)
        if dropped and not cut:  # stop the command: what it prints from here on is dropped anyway
            cut = True
            ended = await _sweep_unless_ended(engine, request.sandbox_id, exec_id)
            if ended is not None:
                break
    exit_code: int | None = None
    if ended is None:
        await done.wait()
        exit_code = (await engine.call(client.api.exec_inspect, handle["Id"])).get("ExitCode")
        if exit_code not in (0, 1, 2):  # killed, or the runtime lost it (runsc: 128, "waiting on pid")
            dying_s = _DYING_S if exit_code == _RUNTIME_LOST else 0.0
            ended = await _stopped(engine, request.sandbox_id, within_s=dying_s)
    ran_out = exit_code in _KILLED_EXIT_CODES and time.monotonic() - started >= request.timeout_s * 0.95
    timed_out = swept or ran_out
    if ended is None and timed_out:
        ended = await _sweep_unless_ended(engine, request.sandbox_id, exec_id)
    oom_killed = False
    if ended is None and exit_code == 137 and not (timed_out or cut):
        try:
            oom_killed = await oom_kills(engine, request.sandbox_id) > 0
        except SandboxError:  # dead, or too full to start the reading (its process limit): not known
            ended = await _stopped(engine, request.sandbox_id)
    duration = time.monotonic() - started
    if ended is not None:
        killed = bool(ended.get("OOMKilled"))
        yield ExecResult(
            exit_code=137, stdout=bytes(stdout), stderr=bytes(stderr), oom_killed=killed, duration_s=duration
        )
        return
    yield ExecResult(
        exit_code=None if timed_out or cut else exit_code,
        stdout=bytes(stdout),
        stderr=bytes(stderr),
        timed_out=timed_out,
        output_cut=cut,
        oom_killed=oom_killed,
        duration_s=duration,
    )


def _keep(kept: bytearray, data: bytes, cap: int) -> tuple[bytes, bool]:
    """Append the part of `data` that fits under `cap` bytes; that part, and whether any was dropped."""
    part = data[: max(0, cap - len(kept))]
    kept += part
    return part, len(part) < len(data)


async def _stopped(engine: DockerEngine, sandbox_id: str, within_s: float = 0.0) -> dict[str, Any] | None:
    """The sandbox's state if it no longer runs (empty when it is gone), else None; waits up to
    `within_s` for it to stop (runsc reports a lost command before the engine sees its sandbox end)."""
    client = await engine.client()
    give_up = time.monotonic() + within_s
    while True:
        try:
            attrs: dict[str, Any] = await engine.call(client.api.inspect_container, sandbox_id)
        except SandboxNotFoundError:
            return {}
        state: dict[str, Any] = attrs.get("State") or {}
        if not state.get("Running"):
            return state
        if time.monotonic() >= give_up:
            return None
        await asyncio.sleep(0.1)


async def _sweep_unless_ended(engine: DockerEngine, sandbox_id: str, exec_id: str) -> dict[str, Any] | None:
    """Sweep the exec's processes; the sandbox's state instead if it died before or under the sweep."""
    try:
        await sweep(engine, sandbox_id, exec_id)
    except SandboxError:
        ended = await _stopped(engine, sandbox_id, within_s=_DYING_S)
        if ended is None:
            raise
        return ended
    return None


async def sweep(engine: DockerEngine, sandbox_id: str, exec_id: str) -> None:
    """Kill every process in the sandbox that carries `exec_id` as its marker."""
    await output(engine, sandbox_id, ["sh", "-c", _SWEEP, "sweep", exec_id])


async def oom_kills(engine: DockerEngine, sandbox_id: str) -> int:
    """How many processes the kernel's OOM killer has killed in this sandbox so far.

    Read from the sandbox's own memory cgroup (v1 `memory.oom_control` or v2 `memory.events`): the
    engine's `OOMKilled` flag only covers the container's main process, not execs.
    """
    reading = (await output(engine, sandbox_id, ["sh", "-c", _OOM_COUNT])).strip()
    if not reading.isdigit():
        raise SandboxError(f"the OOM count could not be read: {reading[:200]!r}")
    return int(reading)
