"""Reading sandboxes without changing them: the listing the reaper and reconciler use, and stats.

Both are one engine call each. The listing never inspects container by container, so a container
removed meanwhile (by anyone sharing the engine) cannot fail it, and the reaper's frequent passes
stay cheap.
"""

from __future__ import annotations

from typing import Any

from orchestrator.sandbox.backend import SandboxInfo, SandboxStats
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_labels import listed_info, managed_filters
from orchestrator.sandbox.usage import USAGE_SCRIPT, SandboxUsage, parse_usage, with_engine_stats

__all__ = ["list_sandboxes", "stats", "usage"]


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


async def usage(engine: DockerEngine, sandbox_id: str) -> SandboxUsage:
    """The sandbox's own counters (`sandbox.usage`: one `sh` run as the sandbox user), with the
    engine's CPU and memory figures."""
    client = await engine.client()
    handle = await engine.call(client.api.exec_create, sandbox_id, ["sh", "-c", USAGE_SCRIPT])
    output: bytes = await engine.call(client.api.exec_start, handle["Id"])
    raw: dict[str, Any] = await engine.call(client.api.stats, sandbox_id, stream=False, one_shot=True)
    return with_engine_stats(parse_usage(output), raw)
