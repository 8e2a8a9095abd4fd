"""A sandbox's usage read on the engine's host: its cgroup v1 files and its workspace's file system.

Reading `/sys/fs/cgroup/<controller>/docker/<id>/` and `statfs` of the workspace volume costs
microseconds, where a `docker exec` into the sandbox costs tens of milliseconds of the engine's time,
and every agent turn reads twice. The kernel writes each figure, and nothing in the sandbox can reach
these paths. Where they are absent (another cgroup layout, gVisor's own cgroups, a remote engine) the
caller falls back to reading from inside the sandbox.
"""

from __future__ import annotations

import os
from pathlib import Path

from orchestrator.sandbox.usage import SandboxUsage

__all__ = ["CGROUP_ROOT", "host_usage"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
_MAX_VALUE = 1 << 63


def host_usage(sandbox_id: str, workspace: str | None, root: Path = CGROUP_ROOT) -> SandboxUsage | None:
    """The sandbox's counters from its host cgroup (cgroupfs driver, cgroup v1), or None when absent."""
    if not sandbox_id.isalnum() or len(sandbox_id) != 64:
        return None  # only a full container id names a cgroup folder
    memory = root / "memory" / "docker" / sandbox_id
    cpu = _number(root / "cpuacct" / "docker" / sandbox_id / "cpuacct.usage")
    peak = _number(memory / "memory.max_usage_in_bytes")
    if cpu is None or peak is None:
        return None
    used, free = _workspace(workspace)
    return SandboxUsage(
        cpu_ns=cpu,
        peak_memory_bytes=peak,
        oom_kills=_keyed(memory / "memory.oom_control", "oom_kill"),
        pids_refused=_keyed(root / "pids" / "docker" / sandbox_id / "pids.events", "max"),
        workspace_bytes=used,
        workspace_free_bytes=free,
    )


def _number(path: Path) -> int | None:
    try:
        text = path.read_text()[:64].strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and int(text) < _MAX_VALUE else None


def _keyed(path: Path, key: str) -> int:
    try:
        lines = path.read_text()[:4096].splitlines()
    except OSError:
        return 0
    for line in lines:
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return min(int(value), _MAX_VALUE - 1)
    return 0


def _workspace(path: str | None) -> tuple[int, int]:
    """(bytes used, bytes the sandbox user may still write) on the workspace's file system."""
    if not path:
        return 0, 0
    try:
        found = os.statvfs(path)
    except OSError:
        return 0, 0
    return (found.f_blocks - found.f_bfree) * found.f_frsize, found.f_bavail * found.f_frsize
