"""Small helpers shared by the benchmarks: timing and percentile summaries in milliseconds."""

from __future__ import annotations

import statistics
from typing import Any


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


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    """How many times slower `a` is than `b`, at the median."""
    return round(a["p50_ms"] / b["p50_ms"], 2)
