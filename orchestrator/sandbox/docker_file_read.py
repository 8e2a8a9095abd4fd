"""Streaming one workspace file out of a sandbox, read by the in-sandbox helper as uid 1000.

The helper's `cat` answers with the file's size first (refused above the caller's cap before a
byte is read), then the bytes. An answer that is not a size is refused, never streamed with a
made-up length; when it is the engine's word that the runtime could not start the helper, the read
is asked again once. Opening runs on the backend's worker threads; the bytes are then
pulled chunk by chunk in worker threads as the caller iterates, so a large download never holds
the event loop and an abandoned one (`aclose`) ends the helper.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import docker

from orchestrator.sandbox import workspace_helper as helper
from orchestrator.sandbox.backend import FileDownload, SandboxError
from orchestrator.sandbox.docker_engine import DockerCall
from orchestrator.sandbox.exec_pipe import ExecPipe, helper_pipe
from orchestrator.sandbox.workspace_io import helper_command, raise_for_exit, relative_to_workspace

__all__ = ["NOT_STARTED", "WHOLE_BYTES", "ExecNotStarted", "open_file", "read_file"]

NOT_STARTED = b"OCI runtime exec failed"
"""What the engine writes into an exec's stdout, instead of the command's output, when the runtime
could not start the command at all (runsc under load, now and then): the helper never ran."""
_RETRY_S = 0.2
_CHUNK = 1 << 20
WHOLE_BYTES = 1 << 20
"""Files up to this size are read whole (and once more if cut short) before their bytes are handed out."""


def open_file(
    client: docker.DockerClient, sandbox_id: str, path: str, max_bytes: int
) -> tuple[int, ExecPipe]:
    """Start the helper's `cat` of one regular file; its size (checked against `max_bytes`) and the pipe."""
    relative = relative_to_workspace(path)
    pipe = helper_pipe(client, sandbox_id, helper_command("cat", relative, max_bytes))
    try:
        header = pipe.read_exactly(helper.SIZE.size)
        if header is None:
            raise_for_exit(pipe.finish(), bytes(pipe.stderr), relative)
            raise SandboxError(f"{relative}: the helper ended without an answer")
    except OSError as exc:
        pipe.close()
        raise SandboxError(f"reading the workspace stalled or failed: {exc.__class__.__name__}") from exc
    if NOT_STARTED.startswith(header):
        pipe.close()
        raise ExecNotStarted(f"{relative}: the runtime could not start the helper")
    (size,) = helper.SIZE.unpack(header)
    if size > max_bytes:  # the helper refuses larger files: this is not its answer
        pipe.close()
        raise SandboxError(f"{relative}: the helper's answer did not start with a size")
    return size, pipe


class ExecNotStarted(SandboxError):
    """The runtime could not start the helper (`NOT_STARTED`): nothing ran, so it may be asked again."""


async def read_file(
    client: docker.DockerClient, sandbox_id: str, path: str, max_bytes: int, opener: DockerCall
) -> FileDownload:
    """Open one file (through `opener`, the backend's error-mapping thread call) for streaming.

    A file of at most `WHOLE_BYTES` is read whole before this returns, and read again once if its
    bytes ended early: Docker 20.10 can drop the last output of an exec as it exits ("stream copy
    error" in its log; a 5-byte file came back empty once in a CI run), and no byte has gone out yet.
    """
    size, pipe = await _open(opener, client, sandbox_id, path, max_bytes)
    if size > WHOLE_BYTES:
        return FileDownload(size=size, chunks=_chunks(pipe, size))
    try:
        data = b"".join([chunk async for chunk in _chunks(pipe, size)])
    except _EndedEarly:
        size, pipe = await _open(opener, client, sandbox_id, path, min(max_bytes, WHOLE_BYTES))
        data = b"".join([chunk async for chunk in _chunks(pipe, size)])
    return FileDownload(size=size, chunks=_whole(data))


async def _open(
    opener: DockerCall, client: docker.DockerClient, sandbox_id: str, path: str, max_bytes: int
) -> tuple[int, ExecPipe]:
    """`open_file`, asked once more if the runtime could not start the helper (a read: safe to repeat)."""
    try:
        return await opener(open_file, client, sandbox_id, path, max_bytes)
    except ExecNotStarted:
        await asyncio.sleep(_RETRY_S)
        return await opener(open_file, client, sandbox_id, path, max_bytes)


async def _whole(data: bytes) -> AsyncIterator[bytes]:
    if data:
        yield data


class _EndedEarly(SandboxError):
    """The helper's output stopped before the size it announced."""


async def _chunks(pipe: ExecPipe, size: int) -> AsyncIterator[bytes]:
    left, done = size, False
    try:
        while left:
            chunk = await asyncio.to_thread(pipe.read, min(left, _CHUNK))
            if not chunk:
                raise _EndedEarly("the file ended early: it changed while it was read")
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
