"""`ExecPipe`: one docker exec as the sandbox user, with stdin and demultiplexed output, blocking.

The workspace file moves (`DockerBackend.put_archive`, `get_archive`, `read_file`) run the
in-sandbox helper through this instead of the engine's archive calls, which act as root. Every
socket operation has an inactivity deadline (`io_timeout_s`), so a helper the sandbox stops
(SIGSTOP) cannot hang a worker thread. Call it only from worker threads.
"""

from __future__ import annotations

import secrets
import socket
import struct
from typing import Any

import docker

from orchestrator.sandbox.docker_labels import EXEC_MARKER
from orchestrator.sandbox.hardening import SANDBOX_GID, SANDBOX_UID
from orchestrator.sandbox.pty import raw_socket

__all__ = ["IO_TIMEOUT_S", "ExecPipe", "helper_pipe"]

IO_TIMEOUT_S = 60.0
"""Longest silence of the helper (one send or receive), in **seconds**, before the move fails."""

_HEADER = struct.Struct(">BxxxL")  # the engine's stream multiplexing: stream id, payload size
_STDOUT, _STDERR = 1, 2
_STDERR_KEEP = 4096


class ExecPipe:
    """A command running in a sandbox as uid 1000 with its stdin, stdout and stderr on one socket.

    Args:
        client: the SDK client.
        sandbox_id: the container.
        cmd: the argument vector.
        env: extra environment variables (the exec marker).
        io_timeout_s: longest wait for one send or receive, in **seconds**.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        sandbox_id: str,
        cmd: list[str],
        env: dict[str, str],
        io_timeout_s: float,
    ) -> None:
        handle = client.api.exec_create(
            sandbox_id, cmd, stdin=True, user=f"{SANDBOX_UID}:{SANDBOX_GID}", workdir="/", environment=env
        )
        self._client = client
        self._exec_id: str = handle["Id"]
        self._hijacked: Any = client.api.exec_start(self._exec_id, socket=True)
        self._sock = raw_socket(self._hijacked)
        self._sock.settimeout(io_timeout_s)
        self._pending = bytearray()
        self._left = 0  # bytes of the current frame's payload still unread
        self._stream = 0
        self._eof = False
        self.stderr = bytearray()
        """The first bytes the command wrote to stderr."""

    def send(self, data: bytes) -> bool:
        """Write to the command's stdin; False once it stopped reading (it exited)."""
        try:
            self._sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return False
        return True

    def close_stdin(self) -> None:
        """Signal end of input."""
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            return  # already closed by the other side

    def read(self, limit: int) -> bytes:
        """Up to `limit` bytes of stdout (fewer at the end); `b""` once the command closed it."""
        while len(self._pending) < limit and not self._eof:
            if not self._pull():
                break
        data = bytes(self._pending[:limit])
        del self._pending[:limit]
        return data

    def read_exactly(self, size: int) -> bytes | None:
        """Exactly `size` bytes of stdout, or None when the output ends first."""
        data = self.read(size)
        return data if len(data) == size else None

    def finish(self) -> int | None:
        """Drain the output, close the socket and return the exit code."""
        while not self._eof:
            self._pull()
            self._pending.clear()
        self.close()
        inspected: dict[str, Any] = self._client.api.exec_inspect(self._exec_id)
        code: int | None = inspected.get("ExitCode")
        return code

    def close(self) -> None:
        """Drop the connection (the command gets EPIPE on its next write)."""
        self._eof = True
        self._sock.close()
        close = getattr(self._hijacked, "close", None)
        if close is not None:
            close()

    def _pull(self) -> bool:
        """Receive one piece of a frame; False at the end of the output."""
        if self._left == 0:
            header = self._recv_exactly(_HEADER.size)
            if header is None:
                self._eof = True
                return False
            self._stream, self._left = _HEADER.unpack(header)
            return True
        data = self._sock.recv(min(self._left, 1 << 20))
        if not data:
            self._eof = True
            return False
        self._left -= len(data)
        if self._stream == _STDOUT:
            self._pending += data
        elif self._stream == _STDERR and len(self.stderr) < _STDERR_KEEP:
            self.stderr += data[: _STDERR_KEEP - len(self.stderr)]
        return True

    def _recv_exactly(self, size: int) -> bytes | None:
        data = bytearray()
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return bytes(data)


def helper_pipe(client: docker.DockerClient, sandbox_id: str, cmd: list[str]) -> ExecPipe:
    """Start the workspace helper's `cmd` with a fresh exec marker and the helper's I/O deadline."""
    return ExecPipe(client, sandbox_id, cmd, {EXEC_MARKER: secrets.token_hex(8)}, IO_TIMEOUT_S)
