"""The workspace root: confining model-supplied paths to it, and noticing which files a call changed.

Confinement is for the model's benefit (clear refusals, no accidental writes to the image);
the security boundary is the sandbox itself, since `run_code` can touch anything the user can.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agents.tools.results import ToolError

__all__ = ["FileStamps", "PathOutsideWorkspace", "Workspace"]

FileStamps = dict[str, tuple[int, int]]
"""Workspace-relative path -> (mtime in ns, size in bytes)."""

_SCAN_SKIP = frozenset({".warren", ".git", "__pycache__", "node_modules", ".venv", ".ipynb_checkpoints"})
_SCAN_MAX_ENTRIES = 20_000


class PathOutsideWorkspace(ToolError, ValueError):
    """A path that is not inside the workspace (via `..`, an absolute path or a symlink) or is malformed."""


@dataclass(frozen=True)
class Workspace:
    """The directory the file tools are confined to (default `/workspace`)."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Workspace:
        """A workspace at `root`, with symlinks in the root itself resolved once."""
        return cls(Path(root).resolve())

    def resolve(self, path: str) -> Path:
        """Map a model-supplied path to a real path inside the workspace, following symlinks.

        Raises:
            PathOutsideWorkspace: NUL bytes, an empty path, or a target outside the root.
        """
        if "\x00" in path:
            raise PathOutsideWorkspace(f"Refused path {path!r}: it contains a NUL byte.")
        if not path.strip():
            raise PathOutsideWorkspace("Refused an empty path: give a path relative to the workspace.")
        given = Path(os.path.expanduser(path))
        candidate = given if given.is_absolute() else self.root / given
        real = candidate.resolve(strict=False)
        if real != self.root and not real.is_relative_to(self.root):
            how = "a symlink inside it points outside" if self._via_symlink(candidate) else "it is outside"
            raise PathOutsideWorkspace(
                f"Refused path {path!r}: {how} the workspace {self.root}. "
                "Use a path relative to the workspace, or an absolute path inside it."
            )
        return real

    def _via_symlink(self, candidate: Path) -> bool:
        lexical = Path(os.path.normpath(candidate))
        return lexical == self.root or lexical.is_relative_to(self.root)

    def relative(self, path: Path) -> str:
        """The workspace-relative POSIX form of a path already inside the workspace (`.` for the root)."""
        return path.relative_to(self.root).as_posix() or "."

    def stamps(self, max_entries: int | None = None) -> FileStamps | None:
        """Modification stamps of the workspace's files; None when the tree holds more than
        `max_entries` (default `_SCAN_MAX_ENTRIES`: too big to scan cheaply).

        Skips `.warren/` (our own screenshots and state) and bulky tool directories (`.git`, venvs).
        """
        limit = _SCAN_MAX_ENTRIES if max_entries is None else max_entries
        found: FileStamps = {}
        pending = [self.root]
        while pending:
            directory = pending.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            for entry in entries:
                if len(found) + len(pending) > limit:
                    return None
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in _SCAN_SKIP:
                            pending.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        stat = entry.stat(follow_symlinks=False)
                        rel = Path(entry.path).relative_to(self.root).as_posix()
                        found[rel] = (stat.st_mtime_ns, stat.st_size)
                except OSError:
                    continue
        return found

    @staticmethod
    def changed(before: FileStamps | None, after: FileStamps | None) -> list[str]:
        """Paths that are new or whose stamp moved between two scans, sorted."""
        if before is None or after is None:
            return []
        return sorted(path for path, stamp in after.items() if before.get(path) != stamp)
