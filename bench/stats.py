"""Small helpers shared by the benchmarks: the server's event loop, and percentile summaries in ms."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run_like_server(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on the event loop `warren serve` uses (uvicorn picks uvloop, a dependency)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def summary(samples_s: list[float]) -> dict[str, Any]:
    """p50/p95/min/max in milliseconds, and the sample count."""
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(p95, 2),
        "min_ms": round(ms[0], 2),
        "max_ms": round(ms[-1], 2),
    }


def latency_row(
    figure: str,
    stats: dict[str, Any],
    *,
    target_ms: float | None = None,
    target: str | None = None,
    met: bool | None = None,
) -> dict[str, Any]:
    """One row of the README table from a `summary`: p50 and p95 in ms, and n.

    `target_ms` is a p50 ceiling (`≤ N ms`, met when the p50 is under it); `target` and `met` state
    any other target.
    """
    row: dict[str, Any] = {
        "figure": figure,
        "p50": stats.get("p50_ms"),
        "p95": stats.get("p95_ms"),
        "unit": "ms",
        "n": stats.get("n"),
    }
    if target_ms is not None:
        row["target"] = f"≤ {target_ms} ms"
        row["met"] = stats.get("p50_ms") is not None and stats["p50_ms"] <= target_ms
    if target is not None:
        row["target"] = target
        row["met"] = bool(met)
    return row


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    """How many times slower `a` is than `b`, at the median."""
    return round(a["p50_ms"] / b["p50_ms"], 2)
