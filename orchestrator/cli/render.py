"""Show an interaction's steps: assembled from SSE events, as plain lines or a live Rich view.

Plain output (not a TTY, or `--plain`) is one or more lines per finished step, with no escape codes:

    [thought] I should see what is in the workspace first.
    [call] list_files(path='.', depth=1)
    [result] notes/ ...
    [answer] Done.

Step text comes from models and sandboxes: both views spell out its control characters and never read
it as Rich markup (`orchestrator.cli.console.printable`).
"""

from __future__ import annotations

import contextlib
import json
from types import TracebackType
from typing import Any, Protocol

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from orchestrator.cli.console import literal, printable

__all__ = ["LiveView", "PlainView", "StepAssembler", "StepView", "describe", "step_text"]

Json = dict[str, Any]
_MAX_RESULT_CHARS = 600


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or f"<{content.get('type', 'content')}>")
    if isinstance(content, list):
        return "".join(_content_text(c) for c in content)
    return json.dumps(content) if content is not None else ""


def _short(text: str, limit: int = _MAX_RESULT_CHARS) -> str:
    text = text.rstrip()
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more characters)"


def _args(arguments: Any) -> str:
    if not isinstance(arguments, dict):
        return str(arguments)
    return ", ".join(f"{k}={_short(repr(v), 120)}" for k, v in arguments.items())


def step_text(step: Json) -> str:
    """The human text of a step (thought, answer, call, result)."""
    kind = step.get("type")
    if kind == "thought":
        return _content_text(step.get("summary") or [])
    if kind in ("model_output", "user_input"):
        if step.get("error"):
            return str(step["error"].get("message") or step["error"])
        return _content_text(step.get("content") or [])
    if kind == "function_call":
        return f"{step.get('name')}({_args(step.get('arguments'))})"
    if kind == "code_execution_call":
        arguments = step.get("arguments") or {}
        return str(arguments.get("code") or _args(arguments))
    if kind in ("function_result", "code_execution_result") or str(kind).endswith("_result"):
        return _short(_content_text(step.get("result")))
    return _short(json.dumps({k: v for k, v in step.items() if k != "type"}))


def describe(step: Json) -> tuple[str, str]:
    """A step's label and text: `("answer", "Done.")`."""
    kind = str(step.get("type"))
    labels = {
        "thought": "thought",
        "model_output": "error" if step.get("error") else "answer",
        "user_input": "input",
        "function_call": "call",
        "code_execution_call": "code",
    }
    label = labels.get(kind) or ("result" if kind.endswith("_result") else kind)
    if label == "result" and step.get("is_error"):
        label = "result error"
    return label, step_text(step)


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
            text = _content_text(delta.get("content"))
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


class StepView(Protocol):
    """Where `warren run` and `warren logs` send what happens (a context manager around the stream)."""

    def __enter__(self) -> StepView:
        """Start showing."""
        ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop showing."""
        ...

    def event(self, event: Json) -> None:
        """Handle one SSE event."""
        ...

    def step(self, step: Json) -> None:
        """Show one finished step."""
        ...

    def note(self, message: str) -> None:
        """Show a progress note (reconnects, uploads)."""
        ...


class PlainView:
    """One `[label] text` block per finished step; no escape codes."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.steps = StepAssembler()

    def __enter__(self) -> PlainView:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def event(self, event: Json) -> None:
        """Print a step when its `step.stop` arrives, and the final status."""
        finished = self.steps.feed(event)
        if finished is not None:
            self.step(finished)
        elif event.get("event_type") == "interaction.completed":
            self._line(f"[status] {(event.get('interaction') or {}).get('status')}")

    def _line(self, text: str) -> None:
        self.console.file.write(printable(text) + "\n")  # no markup, wrapping or tab expansion
        self.console.file.flush()

    def step(self, step: Json) -> None:
        """Print `[label] text`."""
        label, text = describe(step)
        self._line(f"[{label}] {text}")

    def note(self, message: str) -> None:
        """Print `[note] message`."""
        self._line(f"[note] {message}")


_STYLES = {
    "thought": "italic dim",
    "answer": "bold green",
    "call": "cyan",
    "code": "cyan",
    "result": "white",
    "result error": "red",
    "error": "bold red",
    "input": "magenta",
}


class LiveView:
    """A Rich live view: finished steps scroll above a spinner that previews the current one."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.steps = StepAssembler()
        self._status = "starting"
        self._live = Live(self._render(), console=console, refresh_per_second=8, transient=True)

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._live.__exit__(exc_type, exc, tb)

    def _render(self) -> Spinner:
        preview = self.steps.partial_text().strip().splitlines()
        line = literal(preview[-1][-100:]) if preview else ""
        return Spinner("dots", Text.from_markup(f"[dim]{literal(self._status)}[/] {line}"))

    def event(self, event: Json) -> None:
        """Update the preview; print a step when it finishes."""
        kind = event.get("event_type")
        finished = self.steps.feed(event)
        if finished is not None:
            self.step(finished)
        if kind == "interaction.status_update":
            self._status = str(event.get("status"))
        elif kind == "interaction.completed":
            self._status = str((event.get("interaction") or {}).get("status"))
        self._live.update(self._render())

    def step(self, step: Json) -> None:
        """Print a finished step, styled by kind."""
        label, text = describe(step)
        style = _STYLES.get(label, "")
        body = Text(printable(text), style=style if label != "code" else "")
        self.console.print(Text.assemble((f"{label:>7} ", f"bold {style}"), body), soft_wrap=True)

    def note(self, message: str) -> None:
        """Print a dim note."""
        self.console.print(Text(f"   note {printable(message)}", style="dim"))
