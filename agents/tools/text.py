"""Text hygiene for tool output: strip terminal escapes, and cap what reaches the model."""

from __future__ import annotations

import re

__all__ = ["DEFAULT_OUTPUT_LIMIT", "OutputCollector", "cap_text", "strip_ansi"]

DEFAULT_OUTPUT_LIMIT = 20_000
"""Characters of output a single tool result may carry (about 5k tokens)."""

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    """Remove colour codes and other terminal escapes, which only waste the model's tokens."""
    return _ANSI.sub("", text)


def _marker(omitted: int, limit: int) -> str:
    return (
        f"\n\n[... {omitted} characters omitted: the output exceeded the {limit}-character limit. "
        "Write large output to a file and read parts of it instead ...]\n\n"
    )


def cap_text(text: str, limit: int = DEFAULT_OUTPUT_LIMIT) -> str:
    """Keep the head and the tail of `text` within `limit` characters, with a marker between them."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + _marker(len(text) - 2 * half, limit) + text[-half:]


class OutputCollector:
    """Accumulates streamed output in bounded memory: the first and last `limit/2` characters.

    A command that prints gigabytes must not exhaust the runner's memory, and the model
    needs both the start (what happened) and the end (how it ended).
    """

    def __init__(self, limit: int = DEFAULT_OUTPUT_LIMIT) -> None:
        self._limit = limit
        self._half = limit // 2
        self._head: list[str] = []
        self._head_len = 0
        self._tail = ""
        self._omitted = 0

    def add(self, text: str) -> None:
        """Append a chunk of output."""
        if self._head_len < self._half:
            take = text[: self._half - self._head_len]
            self._head.append(take)
            self._head_len += len(take)
            text = text[len(take) :]
        if text:
            self._tail += text
            if len(self._tail) > self._half:
                self._omitted += len(self._tail) - self._half
                self._tail = self._tail[-self._half :]

    def text(self) -> str:
        """Everything kept so far, with a truncation marker if anything was dropped."""
        head = "".join(self._head)
        if not self._omitted:
            return head + self._tail
        return head + _marker(self._omitted, self._limit) + self._tail
