"""What a sandbox has used, read from its own cgroup and workspace, and why its commands died.

One `sh` run inside the sandbox prints the kernel's counters (cgroup v1 or v2): CPU time, peak
memory, OOM kills, forks refused at the process limit, and the workspace file system's size and
free space. The kernel writes every figure, so the sandbox cannot forge them; the parser is strict
and bounded anyway. `end_reason` compares two readings: a counter that moved between them names
why a command died (out of memory, process limit) and a workspace with no space left says disk full.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["GVISOR_TASKS", "USAGE_SCRIPT", "SandboxUsage", "end_reason", "parse_usage", "with_engine_stats"]

# Each line: `<name> <integer>`; a file the kernel lacks prints nothing (the figure stays 0).
USAGE_SCRIPT = r"""
c=/sys/fs/cgroup
v() {
  [ -r "$2" ] && awk -v n="$1" -v k="$3" '(k == "" || $1 == k) { print n, (k == "" ? $1 : $2); exit }' "$2"
}
v cpu_ns $c/cpuacct/cpuacct.usage || v cpu_us $c/cpu.stat usage_usec
v peak_memory_bytes $c/memory/memory.max_usage_in_bytes || v peak_memory_bytes $c/memory.peak
v oom_kills $c/memory/memory.oom_control oom_kill || v oom_kills $c/memory.events oom_kill
v pids_refused $c/pids/pids.events max || v pids_refused $c/pids.events max
stat -f -c 'workspace_blocks %b
workspace_free_blocks %a
block_size %S' /workspace
exit 0
"""
# gVisor's process limit is RLIMIT_NPROC (hardening.py), which leaves no counter: its tasks (threads
# included) and the limit, read with bash builtins only (dash has no `ulimit -u`), so the reading
# needs no fork at the limit (an exec'd process itself is not refused). The reader does not count.
GVISOR_TASKS = r"""
set -- /proc/[0-9]*/task/[0-9]*
echo tasks $(( $# - 1 ))
printf 'task_limit '
ulimit -u
"""
_NAMES = frozenset(
    {"cpu_ns", "cpu_us", "peak_memory_bytes", "oom_kills", "pids_refused"}
    | {"workspace_blocks", "workspace_free_blocks", "block_size", "tasks", "task_limit"}
)
_MAX_OUTPUT = 4096
_MAX_VALUE = 1 << 63
_FULL_LEFT_BYTES = 2 << 20
"""Less free than this (or 1 % of the workspace) is full: ext4 keeps a few clusters back for its own
metadata, so a write that failed with ENOSPC can leave a few hundred KiB that no file gets."""


class SandboxUsage(BaseModel):
    """One reading of a sandbox's counters (each cumulative since the sandbox started, but the
    workspace's, which are its state now)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpu_ns: int = 0
    """CPU time of every process in the sandbox, in nanoseconds."""
    peak_memory_bytes: int = 0
    """The most memory the sandbox has held at once."""
    oom_kills: int = 0
    """Processes the kernel's OOM killer took in the sandbox."""
    pids_refused: int = 0
    """Forks refused because the sandbox was at its process limit."""
    workspace_bytes: int = 0
    """Bytes used on the workspace's file system."""
    workspace_free_bytes: int = 0
    """Bytes the sandbox user may still write there."""
    tasks: int = 0
    """gVisor only: the sandbox's tasks (processes and their threads) when read."""
    task_limit: int = 0
    """gVisor only: the sandbox user's RLIMIT_NPROC, its process limit (0: not read)."""
    sandbox_oom_killed: bool = False
    """The sandbox itself no longer runs: the OOM killer ended it (gVisor: the limit covers its kernel)."""


def parse_usage(output: bytes) -> SandboxUsage:
    """The reading `USAGE_SCRIPT` printed; unknown or malformed lines are skipped."""
    seen: dict[str, int] = {}
    for line in output[:_MAX_OUTPUT].decode("ascii", "replace").splitlines():
        name, _, number = line.partition(" ")
        if name in _NAMES and number.isdigit() and int(number) < _MAX_VALUE:
            seen.setdefault(name, int(number))
    size = seen.get("block_size", 0)
    return SandboxUsage(
        cpu_ns=seen.get("cpu_ns", seen.get("cpu_us", 0) * 1000),
        peak_memory_bytes=seen.get("peak_memory_bytes", 0),
        oom_kills=seen.get("oom_kills", 0),
        pids_refused=seen.get("pids_refused", 0),
        workspace_bytes=max(0, seen.get("workspace_blocks", 0) - seen.get("workspace_free_blocks", 0)) * size,
        workspace_free_bytes=seen.get("workspace_free_blocks", 0) * size,
        tasks=seen.get("tasks", 0),
        task_limit=seen.get("task_limit", 0),
    )


def with_engine_stats(reading: SandboxUsage, raw: Mapping[str, Any]) -> SandboxUsage:
    """The reading with the engine's CPU and peak memory (`docker stats`), which every runtime
    reports (gVisor's sandbox shows no cgroup files inside)."""
    memory = raw.get("memory_stats") or {}
    cpu = int((raw.get("cpu_stats") or {}).get("cpu_usage", {}).get("total_usage") or 0)
    peak = int(memory.get("max_usage") or memory.get("usage") or 0)
    return reading.model_copy(
        update={"cpu_ns": cpu or reading.cpu_ns, "peak_memory_bytes": max(peak, reading.peak_memory_bytes)}
    )


def end_reason(before: SandboxUsage, after: SandboxUsage) -> tuple[str, str] | None:
    """`(code, message)` naming why a command run between the two readings died, or None."""
    if after.oom_kills > before.oom_kills:
        return "out_of_memory", "a command in the sandbox was killed for using more memory than its limit"
    if after.sandbox_oom_killed and not before.sandbox_oom_killed:
        return "out_of_memory", "the sandbox was killed for using more memory than its limit"
    if after.pids_refused > before.pids_refused or _at_task_limit(after):
        return "process_limit", "a command in the sandbox hit the sandbox's process limit"
    size = after.workspace_bytes + after.workspace_free_bytes
    if size and after.workspace_free_bytes < max(_FULL_LEFT_BYTES, size // 100):
        return "disk_full", "the sandbox's workspace is full"
    return None


def _at_task_limit(reading: SandboxUsage) -> bool:
    """gVisor: the sandbox's tasks fill its RLIMIT_NPROC (within a few: the refused forker may have
    exited, or its threads). Read after the failed command, so the tasks it left behind show; a
    command that killed its own children before it ended leaves no trace."""
    limit = reading.task_limit
    return limit > 0 and reading.tasks >= limit - max(2, limit // 32)
