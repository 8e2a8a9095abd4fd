"""`DockerPty`: an interactive program on a pseudo-terminal in a container, over a docker exec socket.

The exec runs with `tty=True, stdin=True`; its hijacked socket carries raw terminal bytes both ways
(no multiplexing headers with a TTY). The socket is non-blocking and read and written on the event
loop: a shell is idle most of its life, and a worker thread parked in `recv` for each one starved
every other blocking call of the process (issue 13: eight idle shells of one tenant made another
tenant's file listing time out). Resize and inspect are Docker API calls and go through the
backend's own executor (`docker_engine.DockerCall`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import docker

from orchestrator.sandbox.backend import SandboxError
from orchestrator.sandbox.docker_engine import DockerCall

__all__ = ["DockerPty", "raw_socket"]

_READ_BYTES = 64 << 10
_RETRY_READ = (BlockingIOError, InterruptedError, ssl.SSLWantReadError)
_RETRY_WRITE = (BlockingIOError, InterruptedError, ssl.SSLWantWriteError)


def raw_socket(hijacked: Any) -> socket.socket:
    """The real socket under what `exec_start(socket=True)` returns (a `SocketIO` or the socket)."""
    sock = getattr(hijacked, "_sock", hijacked)
    if not isinstance(sock, socket.socket):
        raise TypeError(f"unexpected exec socket {type(hijacked).__name__}")
    return sock


class DockerPty:
    """One docker exec on a TTY.

    One reader and one writer at a time (the shell route's two pumps): each waits for its own
    readiness callback on the socket.

    Args:
        client: the SDK client that created the exec.
        exec_id: the exec's id (for resize and inspect).
        hijacked: what `exec_start(..., socket=True)` returned.
        call: runs SDK calls on the backend's executor.
        kill: kills every process the session started (run on `close`).
    """

    def __init__(
        self,
        client: docker.DockerClient,
        exec_id: str,
        hijacked: Any,
        call: DockerCall,
        kill: Callable[[], Awaitable[None]],
    ) -> None:
        self._client = client
        self._exec_id = exec_id
        self._hijacked = hijacked
        self._sock = raw_socket(hijacked)
        self._sock.setblocking(False)
        self._call = call
        self._kill = kill
        self._closed = False

    async def _ready(self, writing: bool) -> None:
        """Wait until the socket is readable (or writable), without a thread."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = self._sock.fileno()
        if fd < 0:
            raise OSError("the terminal socket is closed")

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        if writing:
            loop.add_writer(fd, wake)
        else:
            loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            (loop.remove_writer if writing else loop.remove_reader)(fd)

    async def read(self) -> bytes:
        """The next output bytes; `b""` once the program ended or the session closed."""
        while not self._closed:
            try:
                return self._sock.recv(_READ_BYTES)
            except _RETRY_READ:
                pass
            except OSError:
                return b""
            try:
                await self._ready(writing=False)
            except OSError:
                return b""
        return b""

    async def write(self, data: bytes) -> None:
        """Send keystrokes; waits (without a thread) while the program does not read them."""
        view = memoryview(data)
        while view and not self._closed:
            try:
                view = view[self._sock.send(view) :]
                continue
            except _RETRY_WRITE:
                pass
            except OSError:
                return
            try:
                await self._ready(writing=True)
            except OSError:
                return

    async def resize(self, cols: int, rows: int) -> None:
        """Set the terminal size; the program gets SIGWINCH."""
        with contextlib.suppress(SandboxError):
            await self._call(self._client.api.exec_resize, self._exec_id, height=rows, width=cols)

    async def exit_code(self) -> int | None:
        """The program's exit status, or `None` while it runs."""
        try:
            inspected: dict[str, Any] = await self._call(self._client.api.exec_inspect, self._exec_id)
        except SandboxError:
            return None
        if inspected.get("Running"):
            return None
        code = inspected.get("ExitCode")
        return int(code) if code is not None else None

    async def close(self) -> int | None:
        """Kill what the session started, close the socket, and return the exit code if it ended.

        Callers stop their `read` and `write` first: closing a socket another task still waits on
        would leave that task's readiness callback on a reused descriptor.
        """
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
