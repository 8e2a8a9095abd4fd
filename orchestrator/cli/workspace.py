"""Moving files between this machine and an environment's workspace (sources in, artifacts out)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from orchestrator.cli.client import ClientError, WarrenClient
from orchestrator.cli.common import UsageProblem
from orchestrator.sandbox.tarsafe import pack_files

__all__ = [
    "Artifact",
    "Snapshot",
    "as_json",
    "changed",
    "download_tree",
    "pack_sources",
    "parse_source",
    "snapshot",
]

SKIPPED_DIRS = frozenset({".git", "__pycache__", ".venv", "node_modules"})
"""Folders never uploaded as sources."""

Snapshot = dict[str, tuple[str, str]]
"""`{workspace path: (size_bytes, modified)}` of every file."""


@dataclass(frozen=True)
class Artifact:
    """A file the run produced, and where it was saved."""

    path: str
    """Path in the workspace."""
    size_bytes: int
    """Its size."""
    local_path: str | None
    """Where it was written locally (`None` when the download failed)."""
    error: str | None = None
    """Why the download failed."""


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


async def snapshot(client: WarrenClient, environment_id: str) -> Snapshot:
    """Size and modification time of every file in the workspace."""
    entries = await client.list_files(environment_id, "", recursive=True)
    return {
        str(e["path"]): (str(e.get("size_bytes", "")), str(e.get("modified", "")))
        for e in entries
        if e.get("type") == "file"
    }


def _local(output: Path, workspace_path: str) -> Path:
    target = (output / workspace_path).resolve()
    if not target.is_relative_to(output.resolve()):
        raise ValueError(f"refusing to write outside {output}: {workspace_path!r}")
    return target


async def download_tree(
    client: WarrenClient,
    environment_id: str,
    paths: list[str],
    output: Path,
    *,
    strip: str = "",
    progress: Callable[[str], None] | None = None,
) -> list[Artifact]:
    """Download workspace files into `output`, keeping their relative layout.

    A failed file is recorded in its `Artifact.error` and the others still download.

    Args:
        strip: a workspace folder prefix removed from each path before it is placed under `output`.
    """
    artifacts: list[Artifact] = []
    for path in paths:
        relative = path[len(strip) :].lstrip("/") if strip and path.startswith(strip) else path
        if progress is not None:
            progress(path)
        try:
            target = _local(output, relative or PurePosixPath(path).name)
            data = await client.download(environment_id, path)
            await asyncio.to_thread(_save, target, data)
            artifacts.append(Artifact(path, len(data), str(target)))
        except (ValueError, OSError, ClientError) as exc:  # one bad file must not lose the others
            artifacts.append(Artifact(path, 0, None, error=str(exc)))
    return artifacts


def _save(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """Files that are new or differ in size or modification time."""
    return sorted(path for path, stat in after.items() if before.get(path) != stat)


def as_json(artifacts: list[Artifact]) -> list[dict[str, Any]]:
    """The report's `artifacts` list."""
    return [{k: v for k, v in vars(a).items() if v is not None} for a in artifacts]
