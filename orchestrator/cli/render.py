"""Where an interaction's steps are shown (`StepView`), and the plain view for logs and pipes.

Plain output (not a TTY, or `--plain`) is one or more lines per finished step, with no escape codes:

    [thought] I should see what is in the workspace first.
    [call] list_files(path='.', depth=1)
    [result] notes/ ...
    [answer] Done.

Step text comes from models and sandboxes: both views spell out its control characters and never read
it as Rich markup (`orchestrator.cli.console.printable`). The live view for a terminal is
`live_view.py`; steps are rebuilt from events by `step_assembler.py` and worded by `step_text.py`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console

from orchestrator.cli.console import printable
from orchestrator.cli.step_assembler import StepAssembler
from orchestrator.cli.step_text import Json, describe

__all__ = ["PlainView", "StepView"]


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
