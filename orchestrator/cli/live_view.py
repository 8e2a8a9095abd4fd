"""`LiveView`: a Rich live view for a terminal, finished steps scrolling above a previewing spinner.

Step text comes from models and sandboxes, so it is spelled out with `printable` and never read
as markup; the spinner shows the interaction's status and the tail of the step being streamed.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from orchestrator.cli.console import literal, printable
from orchestrator.cli.step_assembler import StepAssembler
from orchestrator.cli.step_text import Json, describe

__all__ = ["LiveView"]

_STYLES = {
    "thought": "italic dim",
    "answer": "bold green",
    "call": "cyan",
    "code": "cyan",
    "result": "white",
    "result error": "red",
    "error": "bold red",
    "input": "magenta",
    "approval": "bold yellow",
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
