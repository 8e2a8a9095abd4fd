"""The `--source PATH[:TARGET]` inputs of `warren run` and `warren files put`, packed for upload.

A folder's contents land at the workspace's top (or under TARGET), a file under its own name;
TARGET must stay inside the workspace. Packing reads every file, so callers run `pack_sources`
in a worker thread. Version-control and dependency folders (`SKIPPED_DIRS`) are never sent.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from orchestrator.cli.common import UsageProblem

__all__ = ["SKIPPED_DIRS", "pack_sources", "parse_source"]

SKIPPED_DIRS = frozenset({".git", "__pycache__", ".venv", "node_modules"})
"""Folders never uploaded as sources."""


def parse_source(spec: str) -> tuple[Path, str]:
    """`PATH[:TARGET]` → the local path and its workspace target.

    A folder lands at the workspace's top (its contents), a file under its own name, unless TARGET
    says otherwise.

    Raises:
        UsageProblem: the path does not exist or the target is not a relative path.
    """
    local, sep, target = spec.partition(":")
    path = Path(local).expanduser()
    if not path.exists():
        raise UsageProblem(f"--source {spec!r}: no such file or folder")
    if not sep:
        target = "" if path.is_dir() else path.name
    pure = PurePosixPath(target)
    if pure.is_absolute() or ".." in pure.parts:
        raise UsageProblem(f"--source {spec!r}: the target must be a relative path inside the workspace")
    return path, str(pure) if target not in ("", ".") else ""


def pack_sources(sources: list[tuple[Path, str]]) -> tuple[bytes, int]:
    """An uncompressed tar of the sources (owned by the sandbox user) and its file count."""
    from orchestrator.sandbox.tarsafe import pack_files  # its package loads the engine's client: ~0.1 s

    files: dict[str, bytes] = {}
    for path, target in sources:
        if path.is_file():
            files[target or path.name] = path.read_bytes()
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in sorted(names):
                full = Path(root) / name
                if full.is_symlink() or not full.is_file():
                    continue
                relative = PurePosixPath(full.relative_to(path).as_posix())
                files[str(PurePosixPath(target) / relative) if target else str(relative)] = full.read_bytes()
    return pack_files(files), len(files)
