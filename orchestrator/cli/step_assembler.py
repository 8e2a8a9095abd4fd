"""Whole steps rebuilt from the `step.start` / `step.delta` / `step.stop` events of the SSE stream.

Text and thought deltas are appended to the open step, call arguments arrive as JSON fragments and
are parsed when the step stops; the open step's text is what the live view previews.
"""

from __future__ import annotations

import contextlib
import json

from orchestrator.cli.step_text import Json, content_text, step_text

__all__ = ["StepAssembler"]


class StepAssembler:
    """Rebuilds whole steps from `step.start` / `step.delta` / `step.stop` events."""

    def __init__(self) -> None:
        self.open: dict[int, Json] = {}
        self._arguments: dict[int, str] = {}

    def feed(self, event: Json) -> Json | None:
        """Apply one event; returns the finished step on `step.stop`."""
        kind = event.get("event_type")
        index = int(event.get("index", -1))
        if kind == "step.start":
            self.open[index] = json.loads(json.dumps(event.get("step") or {}))
        elif kind == "step.delta" and index in self.open:
            self._delta(index, self.open[index], event.get("delta") or {})
        elif kind == "step.stop" and index in self.open:
            step = self.open.pop(index)
            if index in self._arguments:
                with contextlib.suppress(ValueError):
                    step["arguments"] = json.loads(self._arguments.pop(index))
            return step
        return None

    def _delta(self, index: int, step: Json, delta: Json) -> None:
        kind = delta.get("type")
        if kind == "text":
            content = step.setdefault("content", [])
            if content and content[-1].get("type") == "text":
                content[-1]["text"] += delta.get("text", "")
            else:
                content.append({"type": "text", "text": delta.get("text", "")})
        elif kind == "thought_summary":
            summary = step.setdefault("summary", [])
            text = content_text(delta.get("content"))
            if summary and summary[-1].get("type") == "text":
                summary[-1]["text"] += text
            else:
                summary.append({"type": "text", "text": text})
        elif kind == "arguments_delta":
            self._arguments[index] = self._arguments.get(index, "") + str(delta.get("arguments", ""))
        elif kind != "thought_signature":
            step.update({k: v for k, v in delta.items() if k != "type"})

    def partial_text(self) -> str:
        """The text of the step being streamed, for a live preview."""
        if not self.open:
            return ""
        return step_text(self.open[max(self.open)])
