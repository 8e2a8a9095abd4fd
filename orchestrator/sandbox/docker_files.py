"""Workspace file moves for `DockerBackend`: the in-sandbox helper over a docker exec, as uid 1000.

The engine's `put_archive`/`get_archive` resolve paths inside the container as root: through a
link the sandbox planted they read `/etc/shadow` and wrote into the read-only root filesystem
(issue 13, finding 10). These functions never use them. They are blocking: the backend runs them
in worker threads.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import tarfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import IO, Any

import docker

from orchestrator.sandbox import workspace_helper as helper
from orchestrator.sandbox.backend import FileDownload, SandboxError
from orchestrator.sandbox.exec_pipe import ExecPipe
from orchestrator.sandbox.hardening import SANDBOX_GID, SANDBOX_UID
from orchestrator.sandbox.tarsafe import TarLimits, check_tar
from orchestrator.sandbox.workspace_io import (
    frames_of_tar,
    helper_command,
    raise_for_exit,
    relative_to_workspace,
)

__all__ = ["get_archive", "put_archive", "read_file"]

IO_TIMEOUT_S = 60.0
"""Longest silence of the helper (one send or receive), in **seconds**, before the move fails."""
AsyncOpen = Callable[..., Awaitable[Any]]
"""Runs a blocking function in a worker thread, mapping the engine's errors (`DockerBackend._call`)."""
_CHUNK = 1 << 20
_MARKER = "WARREN_EXEC_ID"


def _pipe(client: docker.DockerClient, sandbox_id: str, cmd: list[str]) -> ExecPipe:
    return ExecPipe(client, sandbox_id, cmd, {_MARKER: secrets.token_hex(8)}, IO_TIMEOUT_S)


def put_archive(
    client: docker.DockerClient, sandbox_id: str, path: str, archive: bytes | IO[bytes], limits: TarLimits
) -> None:
    """Check `archive` on the host, then unpack it under `path` through the helper."""
    relative = relative_to_workspace(path)
    source = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    check_tar(source, limits)
    pipe = _pipe(client, sandbox_id, helper_command("put", relative))
    try:
        for frame in frames_of_tar(source):
            if not pipe.send(frame):
                break  # the helper stopped reading: its exit code says why
        pipe.close_stdin()
        code = pipe.finish()
    except OSError as exc:
        pipe.close()
        raise SandboxError(f"writing into the workspace stalled or failed: {exc.__class__.__name__}") from exc
    raise_for_exit(code, bytes(pipe.stderr), relative or "/")


def get_archive(client: docker.DockerClient, sandbox_id: str, path: str, limits: TarLimits) -> bytes:
    """A tar of `path`'s regular files and folders (links skipped), as read by the sandbox user."""
    relative = relative_to_workspace(path)
    cmd = helper_command("pack", relative, limits.max_total_bytes, limits.max_members)
    pipe = _pipe(client, sandbox_id, cmd)
    buffer = io.BytesIO()
    try:
        with tarfile.open(fileobj=buffer, mode="w:") as tar:
            while (header := pipe.read_exactly(helper.FRAME.size)) is not None:
                kind, mode, size, mtime, name_len = helper.FRAME.unpack(header)
                if kind == b"e":
                    break
                name = (pipe.read_exactly(name_len) or b"").decode("utf-8", "surrogateescape")
                info = tarfile.TarInfo(name)
                info.type = tarfile.DIRTYPE if kind == b"d" else tarfile.REGTYPE
                info.mode, info.size, info.mtime = mode & 0o775, size, mtime
                info.uid, info.gid = SANDBOX_UID, SANDBOX_GID
                tar.addfile(info, _Reader(pipe) if kind == b"f" else None)
        code = pipe.finish()
    except (OSError, tarfile.TarError) as exc:
        pipe.close()
        raise SandboxError(f"reading the workspace stalled or failed: {exc.__class__.__name__}") from exc
    raise_for_exit(code, bytes(pipe.stderr), relative or "/")
    data = buffer.getvalue()
    check_tar(data, limits)  # the names came from the sandbox
    return data


class _Reader:
    """The helper's stdout as the file object `TarFile.addfile` copies from."""

    def __init__(self, pipe: ExecPipe) -> None:
        self._pipe = pipe

    def read(self, size: int = _CHUNK) -> bytes:
        return self._pipe.read(size)


def open_file(
    client: docker.DockerClient, sandbox_id: str, path: str, max_bytes: int
) -> tuple[int, ExecPipe]:
    """Start the helper's `cat` of one regular file; its size (checked against `max_bytes`) and the pipe."""
    relative = relative_to_workspace(path)
    pipe = _pipe(client, sandbox_id, helper_command("cat", relative, max_bytes))
    try:
        header = pipe.read_exactly(helper.SIZE.size)
        if header is None:
            raise_for_exit(pipe.finish(), bytes(pipe.stderr), relative)
            raise SandboxError(f"{relative}: the helper ended without an answer")
    except OSError as exc:
        pipe.close()
        raise SandboxError(f"reading the workspace stalled or failed: {exc.__class__.__name__}") from exc
    (size,) = helper.SIZE.unpack(header)
    return size, pipe


async def read_file(
    client: docker.DockerClient, sandbox_id: str, path: str, max_bytes: int, opener: AsyncOpen
) -> FileDownload:
    """Open one file (through `opener`, the backend's error-mapping thread call) for streaming."""
    size, pipe = await opener(open_file, client, sandbox_id, path, max_bytes)
    return FileDownload(size=size, chunks=_chunks(pipe, size))


async def _chunks(pipe: ExecPipe, size: int) -> AsyncIterator[bytes]:
    left, done = size, False
    try:
        while left:
            chunk = await asyncio.to_thread(pipe.read, min(left, _CHUNK))
            if not chunk:
                raise SandboxError("the file ended early: it changed while it was read")
            left -= len(chunk)
            yield chunk
        code = await asyncio.to_thread(pipe.finish)
        done = True
        raise_for_exit(code, bytes(pipe.stderr), "the file")
    except OSError as exc:
        raise SandboxError(f"reading the workspace stalled or failed: {exc.__class__.__name__}") from exc
    finally:
        if not done:
            await asyncio.to_thread(pipe.close)
