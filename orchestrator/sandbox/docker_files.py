"""Workspace archives for `DockerBackend`: tars in and out through the in-sandbox helper, as uid 1000.

The engine's `put_archive`/`get_archive` resolve paths inside the container as root: through a
link the sandbox planted they read `/etc/shadow` and wrote into the read-only root filesystem
(issue 13, finding 10). These functions never use them. They are blocking, tar checks included:
the backend runs them whole in its worker threads, so no tar is scanned on the event loop.
"""

from __future__ import annotations

import io
import tarfile
from typing import IO

import docker

from orchestrator.sandbox import workspace_helper as helper
from orchestrator.sandbox.backend import SandboxError
from orchestrator.sandbox.exec_pipe import ExecPipe, helper_pipe
from orchestrator.sandbox.hardening import SANDBOX_GID, SANDBOX_UID
from orchestrator.sandbox.tarsafe import TarLimits, check_tar
from orchestrator.sandbox.workspace_io import (
    frames_of_tar,
    helper_command,
    raise_for_exit,
    relative_to_workspace,
)

__all__ = ["get_archive", "put_archive"]

_CHUNK = 1 << 20


def put_archive(
    client: docker.DockerClient, sandbox_id: str, path: str, archive: bytes | IO[bytes], limits: TarLimits
) -> None:
    """Check `archive` on the host, then unpack it under `path` through the helper."""
    relative = relative_to_workspace(path)
    source = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    check_tar(source, limits)
    pipe = helper_pipe(client, sandbox_id, helper_command("put", relative))
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
    pipe = helper_pipe(client, sandbox_id, cmd)
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
