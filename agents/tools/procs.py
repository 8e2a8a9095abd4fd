"""Finding and killing a process's descendants through /proc (Linux only, no psutil in the image)."""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass

__all__ = ["Proc", "children", "descendants", "kill_tree"]


@dataclass(frozen=True)
class Proc:
    """One process as /proc/<pid>/stat describes it."""

    pid: int
    ppid: int
    pgid: int


def _all() -> list[Proc]:
    procs: list[Proc] = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        procs.append(Proc(pid=int(name), ppid=int(fields[1]), pgid=int(fields[2])))
    return procs


def children(pid: int) -> list[Proc]:
    """The direct children of `pid`."""
    return [proc for proc in _all() if proc.ppid == pid]


def descendants(pid: int) -> list[Proc]:
    """Every process below `pid` in the tree (children first)."""
    procs = _all()
    by_parent: dict[int, list[Proc]] = {}
    for proc in procs:
        by_parent.setdefault(proc.ppid, []).append(proc)
    found: list[Proc] = []
    frontier = [pid]
    while frontier:
        for proc in by_parent.get(frontier.pop(), []):
            found.append(proc)
            frontier.append(proc.pid)
    return found


def kill_tree(roots: list[Proc], sig: int = signal.SIGKILL, *, spare_pgid: int | None = None) -> None:
    """Signal each root's process group (unless it is `spare_pgid`) and every descendant of each root.

    Groups catch grandchildren that were re-parented; the descendant walk catches processes
    that share the spared group (the shell's own), so nothing the command started survives.
    """
    targets: dict[int, None] = {}
    groups: dict[int, None] = {}
    for root in roots:
        targets[root.pid] = None
        targets.update((proc.pid, None) for proc in descendants(root.pid))
        if root.pgid != spare_pgid and root.pgid > 1:
            groups[root.pgid] = None
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    for pid in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
