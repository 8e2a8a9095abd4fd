"""Asking the person at the terminal to approve a tool call: `Approve run_code? [y/N]`.

The line is read without blocking the event loop or a worker thread (the loop watches stdin),
and Ctrl-C while it waits is caught by the loop, so `warren run` can end with 130 through its
normal path (report, clean-up) without answering. Anything but `y`/`yes` denies, as `[y/N]` says;
a denial asks for an optional reason, which the model reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import signal
import sys

from orchestrator.cli.approvals import Approval
from orchestrator.cli.console import err, literal, printable
from orchestrator.cli.step_text import call_text

__all__ = ["Unanswered", "ask_approval", "show_request"]


class Unanswered(enum.Enum):
    """Why no answer came."""

    INTERRUPTED = "interrupted"
    """Ctrl-C at the prompt."""
    CLOSED = "closed"
    """The terminal's input ended (Ctrl-D)."""


def show_request(request: Approval) -> None:
    """The request on stderr: the tool, why it needs approval, and its arguments, indented."""
    why = f": {literal(request.reason)}" if request.reason else ""
    err.print(f"[bold yellow]approval needed[/] for {literal(request.tool)}{why}", soft_wrap=True)
    for line in call_text(request.arguments).splitlines() or [""]:
        err.file.write(f"    {printable(line)}\n")
    err.file.flush()


async def ask_approval(request: Approval) -> tuple[bool, str] | Unanswered:
    """`(approved, reason)` from the terminal, or why there is no answer."""
    answer = await _read_line(f"Approve {printable(request.tool)}? [y/N] ")
    if isinstance(answer, Unanswered):
        return answer
    if answer.strip().lower() in ("y", "yes"):
        return True, ""
    reason = await _read_line("Reason for the model (optional, Enter to skip): ")
    if reason is Unanswered.INTERRUPTED:
        return reason
    return False, reason.strip() if isinstance(reason, str) else ""


async def _read_line(prompt: str) -> str | Unanswered:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str | Unanswered] = loop.create_future()
    fd = sys.stdin.fileno()

    def settle(value: str | Unanswered) -> None:
        if not answer.done():
            answer.set_result(value)

    def readable() -> None:
        data = os.read(fd, 4096)  # a terminal in canonical mode hands over one whole line
        lines = data.decode(errors="replace").splitlines()
        settle(Unanswered.CLOSED if not data else lines[0] if lines else "")

    loop.add_reader(fd, readable)
    with contextlib.suppress(NotImplementedError, RuntimeError):  # loop has no signal handlers
        loop.add_signal_handler(signal.SIGINT, settle, Unanswered.INTERRUPTED)
    try:
        err.file.write(prompt)  # only now: a Ctrl-C from one who has seen it reaches `settle`
        err.file.flush()
        got = await answer
    finally:
        loop.remove_reader(fd)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
    if isinstance(got, Unanswered):
        err.file.write("\n")
    return got
