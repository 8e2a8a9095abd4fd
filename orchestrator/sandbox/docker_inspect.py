"""Reading sandboxes without changing them: the listing the reaper and reconciler use, and stats.

Both are one engine call each. The listing never inspects container by container, so a container
removed meanwhile (by anyone sharing the engine) cannot fail it, and the reaper's frequent passes
stay cheap.
"""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from orchestrator.sandbox.backend import SandboxError, SandboxInfo, SandboxStats
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_labels import listed_info, managed_filters
from orchestrator.sandbox.docker_output import output
from orchestrator.sandbox.host_usage import host_usage
from orchestrator.sandbox.runtimes import GVISOR
from orchestrator.sandbox.usage import (
    GVISOR_TASKS,
    USAGE_SCRIPT,
    SandboxUsage,
    parse_usage,
    with_engine_stats,
)

__all__ = ["Placement", "list_sandboxes", "stats", "usage"]

_MAX_KNOWN = 4096


async def list_sandboxes(engine: DockerEngine, labels: dict[str, str] | None) -> list[SandboxInfo]:
    """Warren's containers (running or not), narrowed by `labels`."""
    client = await engine.client()
    filters = managed_filters(labels)
    listed: list[dict[str, Any]] = await engine.call(client.api.containers, all=True, filters=filters)
    return [listed_info(item["Id"], item.get("State", ""), dict(item.get("Labels") or {})) for item in listed]


async def stats(engine: DockerEngine, sandbox_id: str) -> SandboxStats:
    """One stats sample from the engine (no streaming, no wait for a second sample)."""
    client = await engine.client()
    raw: dict[str, Any] = await engine.call(client.api.stats, sandbox_id, stream=False, one_shot=True)
    memory = raw.get("memory_stats", {})
    return SandboxStats(
        memory_bytes=int(memory.get("usage", 0)),
        memory_limit_bytes=int(memory.get("limit", 0)),
        pids=int(raw.get("pids_stats", {}).get("current", 0)),
        cpu_total_ns=int(raw.get("cpu_stats", {}).get("cpu_usage", {}).get("total_usage", 0)),
    )


class Placement(NamedTuple):
    """What `usage` needs to know of a sandbox, read once (one inspect)."""

    workspace: str | None
    """Where its `/workspace` volume is on the host (None when it cannot be read there)."""
    gvisor: bool
    """It runs under gVisor: its task count is read inside (`GVISOR_TASKS`)."""


async def usage(
    engine: DockerEngine, sandbox_id: str, known: dict[str, Placement], *, tasks: bool = False
) -> SandboxUsage:
    """The sandbox's counters from the host's cgroup files and workspace volume (`host_usage`) when the
    engine runs here; else from inside the sandbox (one `sh` as the sandbox user), with the engine's
    CPU and memory figures where the sandbox cannot read its cgroup (gVisor). With `tasks`, under
    gVisor its task count and RLIMIT_NPROC are read inside too (builtins only: no fork, so it answers
    at the limit; an exec there costs about 0.1 s, so only a verdict asks).
    A sandbox that no longer runs answers whether the engine saw it OOM-killed.

    Args:
        known: each sandbox's `Placement`, filled here on first use (one inspect).
    """
    if sandbox_id not in known:
        if len(known) >= _MAX_KNOWN:
            known.clear()  # destroyed sandboxes' entries go too; a live one is looked up again
        known[sandbox_id] = await _placement(engine, sandbox_id)
    place = known[sandbox_id]
    try:
        reading = await asyncio.to_thread(host_usage, sandbox_id, place.workspace)
        if reading is None:
            reading = await _inside(engine, sandbox_id)
        if tasks and place.gvisor:
            reading = reading.model_copy(
                update=dict(_tasks(await _run(engine, sandbox_id, GVISOR_TASKS, "bash")))
            )
    except SandboxError:
        ended = await _ended(engine, sandbox_id)
        if ended is None:
            raise
        return ended
    return reading


async def _run(engine: DockerEngine, sandbox_id: str, script: str, shell: str = "sh") -> bytes:
    return await output(engine, sandbox_id, [shell, "-c", script])


async def _inside(engine: DockerEngine, sandbox_id: str) -> SandboxUsage:
    reading = parse_usage(await _run(engine, sandbox_id, USAGE_SCRIPT))
    if reading.cpu_ns and reading.peak_memory_bytes:
        return reading  # the sandbox's own cgroup answered (runc): no engine call
    # gVisor shows no cgroup files inside; `docker stats` waits about a second for its sample here
    client = await engine.client()
    raw: dict[str, Any] = await engine.call(client.api.stats, sandbox_id, stream=False, one_shot=True)
    return with_engine_stats(reading, raw)


def _tasks(output: bytes) -> dict[str, int]:
    reading = parse_usage(output)
    return {"tasks": reading.tasks, "task_limit": reading.task_limit}


async def _ended(engine: DockerEngine, sandbox_id: str) -> SandboxUsage | None:
    """The reading of a sandbox that stopped (None while it runs): the engine's `OOMKilled` says
    whether the OOM killer ended it, at its memory limit (under gVisor the limit covers its kernel)."""
    client = await engine.client()
    attrs: dict[str, Any] = await engine.call(client.api.inspect_container, sandbox_id)
    state = attrs.get("State") or {}
    if state.get("Running"):
        return None
    killed = bool(state.get("OOMKilled"))
    limit = int((attrs.get("HostConfig") or {}).get("Memory") or 0)
    return SandboxUsage(sandbox_oom_killed=killed, peak_memory_bytes=limit if killed else 0)


async def _placement(engine: DockerEngine, sandbox_id: str) -> Placement:
    client = await engine.client()
    attrs: dict[str, Any] = await engine.call(client.api.inspect_container, sandbox_id)
    gvisor = (attrs.get("HostConfig") or {}).get("Runtime") == GVISOR
    for mount in attrs.get("Mounts") or []:
        if mount.get("Destination") == "/workspace" and mount.get("Source"):
            return Placement(str(mount["Source"]), gvisor)  # `host_usage` reads nothing where it is no folder
    return Placement(None, gvisor)
