"""Reading sandboxes without changing them: the listing the reaper and reconciler use, and stats.

Both are one engine call each. The listing never inspects container by container, so a container
removed meanwhile (by anyone sharing the engine) cannot fail it, and the reaper's frequent passes
stay cheap.
"""

from __future__ import annotations

import asyncio
from typing import Any

from orchestrator.sandbox.backend import SandboxInfo, SandboxStats
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_labels import listed_info, managed_filters
from orchestrator.sandbox.host_usage import host_usage
from orchestrator.sandbox.usage import USAGE_SCRIPT, SandboxUsage, parse_usage, with_engine_stats

__all__ = ["list_sandboxes", "stats", "usage"]

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


async def usage(engine: DockerEngine, sandbox_id: str, workspaces: dict[str, str | None]) -> SandboxUsage:
    """The sandbox's counters from the host's cgroup files and workspace volume (`host_usage`) when the
    engine runs here; else from inside the sandbox (one `sh` as the sandbox user), with the engine's
    CPU and memory figures where the sandbox cannot read its cgroup (gVisor).

    Args:
        workspaces: the host path of each sandbox's workspace, filled here on first use (one inspect).
    """
    if sandbox_id not in workspaces:
        if len(workspaces) >= _MAX_KNOWN:
            workspaces.clear()  # destroyed sandboxes' entries go too; a live one is looked up again
        workspaces[sandbox_id] = await _workspace_source(engine, sandbox_id)
    found = await asyncio.to_thread(host_usage, sandbox_id, workspaces[sandbox_id])
    if found is not None:
        return found
    client = await engine.client()
    handle = await engine.call(client.api.exec_create, sandbox_id, ["sh", "-c", USAGE_SCRIPT])
    output: bytes = await engine.call(client.api.exec_start, handle["Id"])
    reading = parse_usage(output)
    if reading.cpu_ns and reading.peak_memory_bytes:
        return reading  # the sandbox's own cgroup answered (runc): no engine call
    # gVisor shows no cgroup files inside; `docker stats` waits about a second for its sample here
    raw: dict[str, Any] = await engine.call(client.api.stats, sandbox_id, stream=False, one_shot=True)
    return with_engine_stats(reading, raw)


async def _workspace_source(engine: DockerEngine, sandbox_id: str) -> str | None:
    """Where the sandbox's `/workspace` volume is on the host (None when it cannot be read there)."""
    client = await engine.client()
    attrs: dict[str, Any] = await engine.call(client.api.inspect_container, sandbox_id)
    for mount in attrs.get("Mounts") or []:
        if mount.get("Destination") == "/workspace" and mount.get("Source"):
            return str(mount["Source"])  # `host_usage` reads nothing where it is not a folder here
    return None
