#!/usr/bin/env python3
"""Module sizes of the orchestrator and the runtime (`make lint`): fails past the agreed limits.

Every `.py` under `orchestrator/` and `agents/` counts, in lines as `wc -l` counts them. No module
may pass MAX_LINES, and the median must stay at or under MEDIAN_LINES (issue 14): a file is a room
with one job. `agents/tools/pyworker.py` is the one exception: it is run as a separate stdlib-only
process by path, so it cannot import helpers of its own (its docstring says so).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

MAX_LINES = 400
MEDIAN_LINES = 120
EXCEPTIONS = {"agents/tools/pyworker.py"}
ROOTS = ("orchestrator", "agents")


def sizes(root: Path) -> dict[str, int]:
    """Lines per module, by path relative to `root`."""
    found = {}
    for top in ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            found[str(path.relative_to(root))] = len(path.read_bytes().splitlines())
    return found


def problems(counted: dict[str, int]) -> list[str]:
    """What breaks the limits: each module past MAX_LINES (but the exceptions), and the median."""
    found = [
        f"{name} has {count} lines (limit {MAX_LINES}); split it by responsibility"
        for name, count in sorted(counted.items())
        if count > MAX_LINES and name not in EXCEPTIONS
    ]
    median = statistics.median(counted.values())
    if median > MEDIAN_LINES:
        found.append(f"the median module has {median:g} lines (limit {MEDIAN_LINES})")
    return found


def main() -> int:
    counted = sizes(Path(__file__).resolve().parent.parent)
    median = statistics.median(counted.values())
    print(f"modules: {len(counted)}, median {median:g} lines (limit {MEDIAN_LINES}), largest:")
    for name, count in sorted(counted.items(), key=lambda item: -item[1])[:5]:
        print(f"  {count:4d} {name}{'  (excepted)' if name in EXCEPTIONS else ''}")
    for problem in problems(counted):
        print(f"error: {problem}")
    return 1 if problems(counted) else 0


if __name__ == "__main__":
    sys.exit(main())
