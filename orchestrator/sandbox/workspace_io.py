"""The host side of the in-sandbox workspace helper: its command line, its frames, its exit codes.

Archives are checked on the host (`tarsafe.check_tar`), then sent to the helper as frames (a
header, a name, the bytes): the sandbox never parses a tar, and the host decides every name,
mode and size the helper sees. Measured on this machine (runc): a small upload through the helper
costs one `docker exec` (~50 ms) like the engine's `put_archive` (~36-46 ms) did.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from orchestrator.sandbox import workspace_helper as helper
from orchestrator.sandbox.backend import (
    SandboxError,
    UnsafeArchiveError,
    WorkspaceFileMissingError,
    WorkspaceFileTooLargeError,
    WorkspacePathError,
)

__all__ = ["WORKSPACE", "frames_of_tar", "helper_command", "raise_for_exit", "relative_to_workspace"]

WORKSPACE = "/workspace"
_SOURCE = Path(helper.__file__).read_text()
_PYTHON = "/usr/bin/python3"  # the image's own interpreter on the read-only root, not one on PATH
_CHUNK = 1 << 20


def helper_command(mode: str, path: str, *args: str | int, root: str = WORKSPACE) -> list[str]:
    """The argument vector that runs the helper's `mode` on a workspace-relative `path`.

    `-I` ignores PYTHON* variables and the user's site folder, so nothing the sandbox wrote
    changes what runs; `-S -B` skip `site` and bytecode writes (the root is read-only).
    """
    return [_PYTHON, "-I", "-S", "-B", "-c", _SOURCE, mode, root, path, *map(str, args)]


def relative_to_workspace(path: str) -> str:
    """`path` (absolute, under `/workspace`) made relative to it.

    Raises:
        WorkspacePathError: outside the workspace, or with `..` or NUL.
    """
    pure = PurePosixPath(path)
    if "\x00" in path or ".." in pure.parts or not pure.is_relative_to(WORKSPACE):
        raise WorkspacePathError("the path is not inside the workspace")
    relative = str(pure.relative_to(WORKSPACE))
    return "" if relative == "." else relative


def frames_of_tar(archive: IO[bytes]) -> Iterator[bytes]:
    """The helper's `put` frames for an archive that `check_tar` already accepted."""
    with tarfile.open(fileobj=archive, mode="r:") as tar:
        for member in tar:
            name = member.name.encode("utf-8", "surrogateescape")
            kind = b"d" if member.isdir() else b"f"
            size = member.size if member.isfile() else 0
            yield helper.FRAME.pack(kind, member.mode & 0o7777, size, max(0, int(member.mtime)), len(name))
            yield name
            if size:
                handle = tar.extractfile(member)
                if handle is None:
                    raise UnsafeArchiveError(f"tar member {member.name!r} has no data")
                while chunk := handle.read(_CHUNK):
                    yield chunk
    yield helper.FRAME.pack(b"e", 0, 0, 0, 0)


def raise_for_exit(code: int | None, stderr: bytes, what: str) -> None:
    """Turn the helper's exit code into the backend's error for `what` (the path as the caller named it).

    The helper's message is its own fixed text (never file contents or host paths).
    """
    if code == 0:
        return
    message = stderr.decode(errors="replace").strip()[:200] or "failed"
    if code == helper.EXIT_MISSING:
        raise WorkspaceFileMissingError(f"{what}: {message}")
    if code == helper.EXIT_IN_THE_WAY:
        raise WorkspacePathError(f"{what}: {message}")
    if code == helper.EXIT_TOO_LARGE:
        raise WorkspaceFileTooLargeError(f"{what}: {message}")
    if code == helper.EXIT_NO_SPACE:
        raise SandboxError(f"{what}: the workspace is full")
    raise SandboxError(f"{what}: moving workspace files failed (exit {code}): {message}")
