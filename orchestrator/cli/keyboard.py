"""The local terminal under `warren attach`: raw mode, its size, and ssh's `~.` detach escape.

These are the parts that touch this machine's TTY and not the network, so `EscapeFilter` can be
tested byte by byte; `terminal.py` wires them to the shell's WebSocket.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import termios
import tty
from collections.abc import Iterator

__all__ = ["EscapeFilter", "raw_mode", "terminal_size"]


class EscapeFilter:
    """Finds `~.` typed at the start of a line (ssh's detach escape); `~~` sends one `~`."""

    def __init__(self) -> None:
        self._line_start = True
        self._tilde = False
        self.detached = False

    def feed(self, data: bytes) -> bytes:
        """The bytes to send on; sets `detached` when the escape was typed."""
        sent = bytearray()
        for byte in data:
            char = bytes([byte])
            if self._tilde:
                self._tilde = False
                if char == b".":
                    self.detached = True
                    break
                sent += b"~" if char == b"~" else b"~" + char
            elif self._line_start and char == b"~":
                self._tilde = True
                continue
            else:
                sent += char
            self._line_start = char in (b"\r", b"\n")
        return bytes(sent)


@contextlib.contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    """Keys reach us one by one, unechoed, while inside; the old mode is restored on the way out."""
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def terminal_size(fd: int) -> tuple[int, int]:
    """(columns, rows) of the terminal on `fd`, or of the process's terminal when `fd` is not one."""
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        size = shutil.get_terminal_size()
    return size.columns, size.lines
