"""The workspace listing in each turn's step context: two levels, folders marked, hidden ones left out,
ordered by path parts, cut at its limit."""

from __future__ import annotations

import os
from pathlib import Path

from agents.sandbox_view import _entries, _listing, _visible


def listing(root: Path, limit: int = 200) -> list[str]:
    """The listing as the step context makes it, from one scan of the root."""
    return _listing(root, _visible(_entries(root)), limit)


def _tree(root: Path) -> None:
    for folder in ("src/pkg", "a", ".git/objects", "docs/.drafts"):
        (root / folder).mkdir(parents=True)
    for file in (
        "README.md",
        "a-b.txt",
        "src/main.py",
        "src/pkg/deep.py",
        "docs/guide.md",
        ".env",
        "docs/.secret",
        "a/x",
    ):
        (root / file).write_text("x")
    os.symlink(root / "docs", root / "linked")  # a link to a folder lists like a folder
    os.symlink(root / "gone", root / "dangling")  # a broken link is a file


def test_two_levels_folders_marked_hidden_left_out(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert listing(tmp_path) == [
        "README.md",
        "a/",
        "a/x",
        "a-b.txt",
        "dangling",
        "docs/",
        "docs/guide.md",
        "linked/",
        "linked/guide.md",
        "src/",
        "src/main.py",
        "src/pkg/",
    ]


def test_cut_at_the_limit(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}").write_text("")
    assert listing(tmp_path, limit=3) == ["f0", "f1", "f2", "..."]
    assert listing(tmp_path / "missing") == []
