"""The network a sandbox without network may have, per runtime: the loopback interface and nothing else.

runc shows no route at all (the kernel keeps loopback's in its local table); gVisor lists routes to its
loopback (127.0.0.0/8 and ::1 on `lo`) and has no /sys/class/net. What matters under both: `lo` is the
only interface, and no route leads anywhere but to it.
"""

from __future__ import annotations

UNREACHABLE = frozenset({"ENETUNREACH", "EHOSTUNREACH"})
"""What a connect off loopback fails with at once: runc answers ENETUNREACH, gVisor a TCP connect
EHOSTUNREACH (no route either way: nothing is sent)."""

LIST_RUN_WARREN = "python3 -c 'import os; print(*sorted(os.listdir(\"/run/warren\")))'"
"""The sandbox's channel sockets, one a word (`ls` fails there under gVisor: coreutils' statx, EINVAL)."""

LOOPBACK_ONLY = "sed -n '3,$p' /proc/net/dev | cut -d: -f1; echo --; ip route; ip -6 route"
"""A shell line printing the sandbox's interfaces, `--`, then its routes (v4 and v6)."""


def assert_loopback_only(output: str) -> None:
    """`output` of `LOOPBACK_ONLY`: `lo` is the only interface, and every route (if any) is on it."""
    interfaces, _, routes = output.partition("--\n")
    assert interfaces.split() == ["lo"], f"only loopback exists: {interfaces!r}"
    off_loopback = [line for line in routes.splitlines() if line.strip() and " dev lo " not in f"{line} "]
    assert not off_loopback, f"no route but to loopback: {off_loopback}"
