"""Workspace paths and file operations inside an environment's sandbox.

Every path a client names is checked here first: relative, no `..`, no NUL, under `/workspace`.
Inside the sandbox the backend's helper moves the files as the sandbox user and refuses any link
on the way, so a path the sandbox controls never leads a privileged reader or writer out of the
workspace (issue 13, finding 10). Listings come back NUL-separated, so no file name can forge an
entry, and end with a mark, so a listing cut short is never taken for an empty folder; downloads
stream. Uploads arrive as files and are packed or inflated into tar files in a worker thread
(`archives`), never on the event loop.
"""

from __future__ import annotations

import asyncio
import builtins
import mimetypes
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import IO

from pydantic import BaseModel

from orchestrator.environments.archives import as_tar, packed
from orchestrator.errors import InvalidArgument, NotFound, PayloadTooLarge, WarrenError
from orchestrator.sandbox import ExecRequest, SandboxBackend
from orchestrator.sandbox.backend import (
    FileDownload,
    WorkspaceFileMissingError,
    WorkspaceFileTooLargeError,
    WorkspacePathError,
)
from orchestrator.sandbox.tarsafe import TarLimits
from orchestrator.sandbox.workspace_helper import LIST_END
from orchestrator.sandbox.workspace_io import helper_command

__all__ = [
    "MAX_DOWNLOAD_BYTES",
    "FileEntry",
    "FileMissingError",
    "FilePathError",
    "FileTooLargeError",
    "WorkspaceFiles",
    "workspace_path",
]

WORKSPACE = PurePosixPath("/workspace")
MAX_DOWNLOAD_BYTES = 256 << 20


class FilePathError(InvalidArgument):
    """A client-supplied workspace path is unsafe or malformed; the field is the `file_path` parameter."""

    def __init__(self, message: str, *, field: str | None = "file_path") -> None:
        super().__init__(message, field=field)


class FileTooLargeError(PayloadTooLarge, ValueError):
    """An upload or download exceeds its cap."""


class FileMissingError(NotFound):
    """No file or folder at that path."""


class FileEntry(BaseModel):
    """One file or folder in a workspace."""

    name: str
    path: str
    type: str
    size_bytes: int = 0
    mime_type: str = ""
    modified: datetime | None = None


def workspace_path(relative: str) -> PurePosixPath:
    """The absolute sandbox path for a client's relative path.

    Raises:
        FilePathError: absolute paths, `..` components, NUL bytes and backslashes.
    """
    cleaned = relative.strip("/") if relative not in ("", "/") else ""
    if "\x00" in relative:
        raise FilePathError("path contains a NUL byte")
    if "\\" in relative:
        raise FilePathError("path contains a backslash")
    path = PurePosixPath(cleaned)
    if ".." in path.parts:
        raise FilePathError("path must not contain '..' segments")
    return WORKSPACE / path


class WorkspaceFiles:
    """File operations on one sandbox's workspace."""

    def __init__(self, backend: SandboxBackend, sandbox_id: str, limits: TarLimits | None = None) -> None:
        self._backend = backend
        self._sandbox = sandbox_id
        self._limits = limits or TarLimits()

    async def list(self, relative: str, recursive: bool = False) -> list[FileEntry]:
        """A folder's contents (recursive or not), or the single entry of a file; links are not offered."""
        target = workspace_path(relative)
        rel = str(target.relative_to(WORKSPACE))
        depth = 64 if recursive else 1
        cmd = helper_command("list", "" if rel == "." else rel, depth)
        request = ExecRequest(sandbox_id=self._sandbox, cmd=tuple(cmd), timeout_s=30, workdir="/")
        result = await self._backend.exec(request)
        if result.exit_code == 0 and not result.output_cut and not result.stdout.endswith(LIST_END):
            result = await self._backend.exec(request)  # its output lost on the way (seen once under load)
        if result.output_cut:
            cap = request.max_output_bytes
            raise FileTooLargeError(f"the listing of {relative!r} passed {cap} bytes: list a folder in it")
        if result.exit_code == 44:
            raise FileMissingError(f"no file or folder at {relative!r}")
        if result.exit_code == 45:
            raise FilePathError(f"{relative!r} passes through a link or is not a file or folder")
        if result.exit_code != 0:
            raise WarrenError(f"listing the workspace failed (exit {result.exit_code})")
        if not result.stdout.endswith(LIST_END):
            raise WarrenError("the workspace listing came back cut short")
        return sorted(_parse(result.stdout.removesuffix(LIST_END), target), key=lambda e: e.path)

    async def download(self, relative: str) -> FileDownload:
        """Open one regular file for streaming; its size is checked against `MAX_DOWNLOAD_BYTES` first."""
        target = workspace_path(relative)
        try:
            return await self._backend.read_file(self._sandbox, str(target), MAX_DOWNLOAD_BYTES)
        except WorkspaceFileMissingError as exc:
            raise FileMissingError(f"no file at {relative!r}") from exc
        except WorkspacePathError as exc:
            raise FilePathError(f"{relative!r} passes through a link or is not a regular file") from exc
        except WorkspaceFileTooLargeError as exc:
            raise FileTooLargeError(f"{relative!r} is larger than {MAX_DOWNLOAD_BYTES} bytes") from exc

    async def write(self, relative: str, data: IO[bytes], overwrite: bool = True) -> None:
        """Write one file with the bytes of the (seekable) `data`, creating parent folders (owned by
        the sandbox user)."""
        target = workspace_path(relative)
        if target == WORKSPACE:
            raise FilePathError("a file path is required")
        probe = 'test -e "$1" || test -L "$1" && echo y'
        if not overwrite and (await self._run(["sh", "-c", probe, "-", str(target)])).strip():
            raise FilePathError(f"{relative!r} exists and overwrite is false")
        with await asyncio.to_thread(packed, str(target.relative_to(WORKSPACE)), data) as archive:
            await self._put(relative, str(WORKSPACE), archive)

    async def extract(self, relative: str, archive: IO[bytes]) -> None:
        """Unpack a tar, or a gzipped tar (inflated into a temporary file under caps), into a folder."""
        target = workspace_path(relative)
        tar = await asyncio.to_thread(as_tar, archive, self._limits.max_total_bytes)
        try:
            await self._put(relative, str(target), tar)
        finally:
            if tar is not archive:
                tar.close()

    async def _put(self, relative: str, target: str, archive: bytes | IO[bytes]) -> None:
        try:
            await self._backend.put_archive(self._sandbox, target, archive)
        except WorkspacePathError as exc:
            raise FilePathError(f"{relative!r} passes through a link, or a file is in the way") from exc

    async def _run(self, cmd: builtins.list[str]) -> str:
        result = await self._backend.exec(ExecRequest(sandbox_id=self._sandbox, cmd=tuple(cmd), timeout_s=30))
        if result.exit_code not in (0, 1):
            raise WarrenError(f"workspace command failed (exit {result.exit_code})")
        return result.stdout.decode()


def _parse(output: bytes, base: PurePosixPath) -> builtins.list[FileEntry]:
    """Entries from the helper's NUL-separated `kind size mtime path` records.

    A name may hold any byte but NUL (newlines, tabs), and none can forge a second entry.
    """
    fields = output.decode("utf-8", "surrogateescape").split("\0")
    if len(fields) % 4 != 1 or fields[-1]:
        raise WarrenError("the workspace listing was malformed")
    entries = []
    for i in range(0, len(fields) - 1, 4):
        kind, size, mtime, rel = fields[i : i + 4]
        full = base / rel if rel else base
        is_file = kind == "f"
        mime = mimetypes.guess_type(full.name)[0] or "application/octet-stream"
        entries.append(
            FileEntry(
                name=full.name,
                path=str(full.relative_to(WORKSPACE)),
                type="file" if is_file else "directory",
                size_bytes=int(size) if is_file else 0,
                mime_type=mime if is_file else "",
                modified=datetime.fromtimestamp(float(mtime), tz=UTC),
            )
        )
    return entries
