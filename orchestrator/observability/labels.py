"""Bounded label values: a metric's label never grows past a fixed number of distinct values.

Agent names are chosen by tenants and models by requests: each label keeps the first `limit` values
it sees (each cut to `MAX_CHARS`) and counts every later one as `other`, so a tenant cannot blow up
the series count of the scrape (or the memory of this process) by inventing names.
"""

from __future__ import annotations

import threading

__all__ = ["MAX_CHARS", "OTHER", "LabelCap"]

MAX_CHARS = 64
OTHER = "other"


class LabelCap:
    """The values one label may take: the first `limit` seen, then `other`."""

    def __init__(self, limit: int = 100) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str | None) -> str:
        """`value` as the label will show it."""
        text = (value or "")[:MAX_CHARS]
        if text in self._seen:
            return text
        with self._lock:
            if len(self._seen) >= self._limit:
                return OTHER
            self._seen.add(text)
        return text
