"""What one `warren run` was asked and learned (`RunJob`), how its duration flag reads, and its exit codes.

The exit code passes on the task's outcome (as `e2b sandbox exec` passes on the remote exit code),
so CI can tell a failed task (1) from a timeout or budget (3) and a client-function call (4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.cli.common import UsageProblem

__all__ = ["EXIT_CODES", "RunJob", "parse_duration"]

EXIT_CODES = {
    "completed": 0,
    "failed": 1,
    "cancelled": 1,
    "budget_exceeded": 3,
    "incomplete": 3,
    "timeout": 3,
    "requires_action": 4,
    "interrupted": 130,
}
"""The exit code for each way a run can end."""
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """`90`, `90s`, `30m`, `1h30m` → seconds.

    Raises:
        UsageProblem: not a positive duration.
    """
    parts = re.findall(r"(\d+(?:\.\d+)?)([smh]?)", text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip().replace(" ", ""):
        raise UsageProblem(f"--timeout {text!r}: use a duration such as 90s, 30m or 1h30m")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise UsageProblem(f"--timeout {text!r}: must be more than zero")
    return seconds


@dataclass
class RunJob:
    """What one `warren run` was asked, and what it learned on the way (ids, timings, how it ended)."""

    agent: str
    model: str | None
    text: str
    sources: list[tuple[Path, str]]
    output: Path | None
    timeout_s: float
    plain: bool
    keep: bool
    timings: dict[str, float] = field(default_factory=dict)
    server_url: str | None = None
    environment_id: str | None = None
    interaction_id: str | None = None
    ending: str = "failed"
