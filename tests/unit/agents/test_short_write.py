"""`write_file`: a small file replaced whole, as `Path.write_text` would, in fewer system calls."""

from __future__ import annotations

import os
from pathlib import Path

from agents.tools.short_write import write_file


def test_creates_then_replaces_the_whole_content(tmp_path: Path) -> None:
    path = tmp_path / "call.sh"
    write_file(path, "echo 'ünïcode' and a long line\n" * 50)
    assert path.read_text(encoding="utf-8") == "echo 'ünïcode' and a long line\n" * 50
    write_file(path, "true\n")
    assert path.read_bytes() == b"true\n"  # truncated, not overwritten in place


def test_new_files_get_the_mode_write_text_gives(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_file(tmp_path / "a", "x")
        (tmp_path / "b").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode == (tmp_path / "b").stat().st_mode
