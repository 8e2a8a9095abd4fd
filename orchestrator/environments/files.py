"""Workspace paths and file operations inside an environment's sandbox.

Every path a client names is checked here first: relative, no `..`, no NUL, under `/workspace`.
Listing runs `find` inside the sandbox (it never follows links); downloads and uploads cross as
checked uncompressed tar.
"""

from __future__ import annotations

import builtins
import io
import mimetypes
import tarfile
import zlib
from datetime import UTC, datetime
from pathlib import PurePosixPath

from pydantic import BaseModel

from orchestrator.errors import WarrenError
from orchestrator.sandbox import ExecRequest, SandboxBackend, UnsafeArchiveError
from orchestrator.sandbox.tarsafe import TarLimits, check_tar, pack_files

__all__ = ["FileEntry", "FilePathError", "FileTooLargeError", "WorkspaceFiles", "workspace_path"]

WORKSPACE = PurePosixPath("/workspace")
MAX_DOWNLOAD_BYTES = 256 << 20


class FilePathError(WarrenError, ValueError):
    """A client-supplied workspace path is unsafe or malformed."""


class FileTooLargeError(WarrenError, ValueError):
    """An upload or download exceeds its cap."""


class FileMissingError(WarrenError, LookupError):
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


_LIST = 'test -e "$1" || exit 44; find "$1" -mindepth "$2" -maxdepth "$3" -printf "%y\\t%s\\t%T@\\t%P\\n"'


class WorkspaceFiles:
    """File operations on one sandbox's workspace."""

    def __init__(self, backend: SandboxBackend, sandbox_id: str) -> None:
        self._backend = backend
        self._sandbox = sandbox_id

    async def list(self, relative: str, recursive: bool = False) -> list[FileEntry]:
        """A folder's contents (recursive or not), or the single entry of a file."""
        target = workspace_path(relative)
        probe = 'test -d "$1" && echo d || { test -e "$1" && echo f; }'
        kind = (await self._run(["sh", "-c", probe, "-", str(target)])).strip()
        if not kind:
            raise FileMissingError(f"no file or folder at {relative!r}")
        if kind == "f":
            output = await self._run(["sh", "-c", _LIST, "-", str(target), "0", "0"])
            entries = self._parse(output, target)
        else:
            depth = "64" if recursive else "1"
            output = await self._run(["sh", "-c", _LIST, "-", str(target), "1", depth])
            entries = self._parse(output, target)
        return sorted(entries, key=lambda e: e.path)

    def _parse(self, output: str, base: PurePosixPath) -> builtins.list[FileEntry]:
        entries = []
        for line in output.split("\n"):
            if not line:
                continue
            kind, size, mtime, rel = line.split("\t", 3)
            full = base / rel if rel else base
            path = str(full.relative_to(WORKSPACE))
            if kind not in ("f", "d"):
                continue  # links, sockets and devices are not offered
            is_file = kind == "f"
            entries.append(
                FileEntry(
                    name=full.name,
                    path=path,
                    type="file" if is_file else "directory",
                    size_bytes=int(size) if is_file else 0,
                    mime_type=(mimetypes.guess_type(full.name)[0] or "application/octet-stream")
                    if is_file
                    else "",
                    modified=datetime.fromtimestamp(float(mtime), tz=UTC),
                )
            )
        return entries

    async def read(self, relative: str) -> bytes:
        """The bytes of one regular file."""
        target = workspace_path(relative)
        try:
            tar_bytes = await self._backend.get_archive(self._sandbox, str(target))
        except LookupError as exc:
            raise FileMissingError(f"no file at {relative!r}") from exc
        with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as archive:
            member = archive.next()
            if member is None or not member.isfile():
                raise FileMissingError(f"{relative!r} is not a regular file")
            if member.size > MAX_DOWNLOAD_BYTES:
                raise FileTooLargeError(f"{relative!r} is larger than {MAX_DOWNLOAD_BYTES} bytes")
            handle = archive.extractfile(member)
            assert handle is not None
            return handle.read()

    async def write(self, relative: str, data: bytes, overwrite: bool = True) -> None:
        """Write one file, creating parent folders (owned by the sandbox user)."""
        target = workspace_path(relative)
        if target == WORKSPACE:
            raise FilePathError("a file path is required")
        if (
            not overwrite
            and (await self._run(["sh", "-c", 'test -e "$1" && echo y', "-", str(target)])).strip()
        ):
            raise FilePathError(f"{relative!r} exists and overwrite is false")
        await self._backend.put_archive(
            self._sandbox, str(WORKSPACE), pack_files({str(target.relative_to(WORKSPACE)): data})
        )

    async def extract(self, relative: str, archive: bytes, limits: TarLimits | None = None) -> None:
        """Unpack a tar (or gzipped tar, decompressed here with a cap) into a workspace folder."""
        limits = limits or TarLimits()
        if archive.startswith(b"\x1f\x8b"):
            archive = _gunzip(archive, limits.max_total_bytes + (1 << 20))
        target = workspace_path(relative)
        check_tar(archive, limits)
        await self._run(["mkdir", "-p", str(target)])
        await self._backend.put_archive(self._sandbox, str(target), archive)

    async def _run(self, cmd: builtins.list[str]) -> str:
        result = await self._backend.exec(ExecRequest(sandbox_id=self._sandbox, cmd=tuple(cmd), timeout_s=30))
        if result.exit_code == 44:
            raise FileMissingError("no such file or folder")
        if result.exit_code not in (0, 1):
            raise WarrenError(f"workspace command failed: {result.stderr.decode(errors='replace')[:200]}")
        return result.stdout.decode()


def _gunzip(data: bytes, cap: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=31)
    try:
        out = decompressor.decompress(data, cap)
    except zlib.error as exc:
        raise UnsafeArchiveError(f"bad gzip data: {exc}") from exc
    if decompressor.unconsumed_tail:
        raise UnsafeArchiveError(f"archive decompresses to more than {cap} bytes")
    return out
