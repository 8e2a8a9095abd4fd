"""`DockerPty`: an interactive program on a pseudo-terminal in a container, over a docker exec socket.

The exec runs with `tty=True, stdin=True`; its hijacked socket carries raw terminal bytes both ways
(no multiplexing headers with a TTY). Blocking socket calls run in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import docker
import docker.errors

__all__ = ["DockerPty"]

_READ_BYTES = 64 << 10


def raw_socket(hijacked: Any) -> socket.socket:
    """The real socket under what `exec_start(socket=True)` returns (a `SocketIO` or the socket)."""
    sock = getattr(hijacked, "_sock", hijacked)
    if not isinstance(sock, socket.socket):
        raise TypeError(f"unexpected exec socket {type(hijacked).__name__}")
    return sock


class DockerPty:
    """One docker exec on a TTY.

    Args:
        client: the SDK client that created the exec.
        exec_id: the exec's id (for resize and inspect).
        hijacked: what `exec_start(..., socket=True)` returned.
        kill: kills every process the session started (run on `close`).
    """

    def __init__(
        self,
        client: docker.DockerClient,
        exec_id: str,
        hijacked: Any,
        kill: Callable[[], Awaitable[None]],
    ) -> None:
        self._client = client
        self._exec_id = exec_id
        self._hijacked = hijacked
        self._sock = raw_socket(hijacked)
        self._kill = kill
        self._closed = False

    async def read(self) -> bytes:
        """The next output bytes; `b""` once the program ended or the session closed."""
        if self._closed:
            return b""
        try:
            return await asyncio.to_thread(self._sock.recv, _READ_BYTES)
        except OSError:
            return b""

    async def write(self, data: bytes) -> None:
        """Send keystrokes."""
        if not self._closed and data:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(self._sock.sendall, data)

    async def resize(self, cols: int, rows: int) -> None:
        """Set the terminal size; the program gets SIGWINCH."""
        with contextlib.suppress(docker.errors.APIError):
            await asyncio.to_thread(self._client.api.exec_resize, self._exec_id, height=rows, width=cols)

    async def exit_code(self) -> int | None:
        """The program's exit status, or `None` while it runs."""
        try:
            inspected = await asyncio.to_thread(self._client.api.exec_inspect, self._exec_id)
        except docker.errors.APIError:
            return None
        if inspected.get("Running"):
            return None
        code = inspected.get("ExitCode")
        return int(code) if code is not None else None

    async def close(self) -> int | None:
        """Kill what the session started, close the socket, and return the exit code if it ended."""
        if self._closed:
            return await self.exit_code()
        code = await self.exit_code()
        if code is None:
            with contextlib.suppress(Exception):  # the sandbox may already be gone
                await self._kill()
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(OSError, AttributeError):
            self._hijacked.close()
        return code
