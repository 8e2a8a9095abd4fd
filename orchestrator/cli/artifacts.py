"""The files a run produced: a before/after snapshot of the workspace, and their download.

`warren run --output` compares the workspace listing (size and modification time) before and
after the run and downloads what is new or changed; `warren files get` reuses the download. A
file that fails is recorded in its `Artifact` and the others still come down; no path may
escape the output folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from orchestrator.cli.client import WarrenClient
from orchestrator.cli.client_transport import ClientError

__all__ = ["Artifact", "Snapshot", "as_json", "changed", "download_tree", "snapshot"]

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
