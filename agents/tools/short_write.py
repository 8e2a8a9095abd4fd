"""Writing a small file in three system calls, for the hot path of a turn.

`Path.write_text` opens through `io` (open, fstat, a terminal check, two seeks, write, close): seven
system calls, each ~70 µs under gVisor's ptrace platform on this project's machines. A bash call
writes its script and a hand-over writes the environment's variables on the way to the first
command's result.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_file"]


def write_file(path: Path, text: str) -> None:
    """Replace the content of `path` (created if missing, mode 0666 less the umask) with `text` in UTF-8."""
    data = memoryview(text.encode("utf-8"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)
