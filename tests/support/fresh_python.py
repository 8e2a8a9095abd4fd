"""A fresh interpreter, for checks of what a process imports: this test process has imported too much."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The repository's root, put on the fresh interpreter's import path."""


def run_python(code: str, *path: Path, flags: tuple[str, ...] = ("-P",)) -> str:
    """Run `code` in a fresh interpreter with the repository (and `path`) importable; its stdout.
    Fails the test, with the interpreter's stderr, when it exits with an error."""
    done = subprocess.run(
        [sys.executable, *flags, "-c", code],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *map(str, path)])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
