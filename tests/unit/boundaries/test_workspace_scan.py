"""The workspace's change scan and path wording at their edges (issue 21, mutation follow-up).

`Workspace.stamps` tells which files a command changed; it must never follow a symlink out of the
workspace (a link to `/` would stamp the host's files, or scan forever), must skip tool directories,
and must give up (None) past its entry cap rather than stall a turn. No test ran it before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.tools import workspace as workspace_module
from agents.tools.workspace import PathOutsideWorkspace, Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    root.mkdir()
    return Workspace(root.resolve())


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def test_stamps_every_file_by_its_posix_path(ws: Workspace) -> None:
    (ws.root / "a.txt").write_text("1")
    (ws.root / "d" / "e").mkdir(parents=True)
    (ws.root / "d" / "e" / "f.py").write_text("22")
    assert ws.stamps() == {
        "a.txt": _stamp(ws.root / "a.txt"),
        "d/e/f.py": _stamp(ws.root / "d" / "e" / "f.py"),
    }


def test_tool_directories_are_skipped_but_not_files_of_that_name(ws: Workspace) -> None:
    for skipped in (".git", ".warren", "node_modules", ".venv"):
        (ws.root / skipped).mkdir()
        (ws.root / skipped / "x").write_text("x")
    (ws.root / "src").mkdir()
    (ws.root / "src" / "node_modules").write_text("a file, not the tool directory")
    assert set(ws.stamps() or {}) == {"src/node_modules"}


def test_symlinks_are_never_followed(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host file")
    (ws.root / "to_dir").symlink_to(outside)
    (ws.root / "to_file").symlink_to(outside / "secret")
    (ws.root / "mine").write_text("m")
    assert set(ws.stamps() or {}) == {"mine"}


def test_entry_cap(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted before each entry: files found plus directories waiting; past the cap, None."""
    monkeypatch.setattr(workspace_module, "_SCAN_MAX_ENTRIES", 3)
    for name in "abcd":
        (ws.root / name).write_text(name)
    assert ws.stamps() is not None, "4 entries: the last is looked at with 3 found, at the cap"
    (ws.root / "e").write_text("e")
    assert ws.stamps() is None


def test_waiting_directories_count_towards_the_cap(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace_module, "_SCAN_MAX_ENTRIES", 2)
    for name in "abcd":
        (ws.root / name).mkdir()
    assert ws.stamps() is None


def test_an_unreadable_directory_or_file_is_skipped_not_the_rest(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory or file that vanishes mid-scan (the command is still running) costs only itself."""
    for directory in ("a", "b", "c"):
        (ws.root / directory).mkdir()
        (ws.root / directory / "f").write_text(directory)
    (ws.root / "b" / "g").write_text("g")
    real_scandir = os.scandir

    class Vanished:
        """A directory entry whose file went away after the listing."""

        def __init__(self, entry: os.DirEntry[str]) -> None:
            self.entry, self.name, self.path = entry, entry.name, entry.path

        def is_dir(self, *, follow_symlinks: bool = True) -> bool:
            return False

        def is_file(self, *, follow_symlinks: bool = True) -> bool:
            return True

        def stat(self, *, follow_symlinks: bool = True) -> Any:
            raise FileNotFoundError(self.path)

    def scandir(path: Any) -> Iterator[Any]:
        if Path(path).name == "c":  # the last found, so the first scanned
            raise PermissionError(path)
        entries = sorted(real_scandir(path), key=lambda e: e.name)
        return iter([Vanished(e) if e.name == "f" and Path(path).name == "b" else e for e in entries])

    monkeypatch.setattr(os, "scandir", scandir)
    assert set(ws.stamps() or {}) == {"a/f", "b/g"}


def test_changed(ws: Workspace) -> None:
    before = {"same": (1, 1), "touched": (1, 1), "gone": (1, 1)}
    after = {"same": (1, 1), "touched": (2, 1), "new": (3, 3)}
    assert Workspace.changed(before, after) == ["new", "touched"]
    assert Workspace.changed(None, after) == []
    assert Workspace.changed(before, None) == []
    assert Workspace.changed({}, {"b": (1, 1), "a": (1, 1)}) == ["a", "b"]


def test_relative_of_the_root_is_a_dot(ws: Workspace) -> None:
    assert ws.relative(ws.root) == "."
    assert ws.relative(ws.root / "d" / "f") == "d/f"


def test_an_escape_says_whether_a_symlink_did_it(ws: Workspace, tmp_path: Path) -> None:
    """The model is told which mistake it made, so it can fix the path rather than retry it."""
    (ws.root / "link").symlink_to(tmp_path)
    with pytest.raises(PathOutsideWorkspace) as via_link:
        ws.resolve("link/x")
    assert "a symlink inside it points outside the workspace" in str(via_link.value)
    with pytest.raises(PathOutsideWorkspace) as plain:
        ws.resolve("../x")
    assert "it is outside the workspace" in str(plain.value)
