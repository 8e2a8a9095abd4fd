"""The terminal side of `warren attach`: raw mode, window size, the `~.` escape, and the WebSocket.

Keystrokes go out as binary frames, window changes as `{"type": "resize"}` text frames; output
comes back as binary frames and is written to the terminal unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import termios
import tty
from collections.abc import Iterator
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from orchestrator.cli.common import CliError

__all__ = ["EscapeFilter", "attach_terminal"]


class EscapeFilter:
    """Finds `~.` typed at the start of a line (ssh's detach escape); `~~` sends one `~`."""

    def __init__(self) -> None:
        self._line_start = True
        self._tilde = False
        self.detached = False

    def feed(self, data: bytes) -> bytes:
        """The bytes to send on; sets `detached` when the escape was typed."""
        sent = bytearray()
        for byte in data:
            char = bytes([byte])
            if self._tilde:
                self._tilde = False
                if char == b".":
                    self.detached = True
                    break
                sent += b"~" if char == b"~" else b"~" + char
            elif self._line_start and char == b"~":
                self._tilde = True
                continue
            else:
                sent += char
            self._line_start = char in (b"\r", b"\n")
        return bytes(sent)


@contextlib.contextmanager
def _raw(fd: int) -> Iterator[None]:
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _size(fd: int) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        size = shutil.get_terminal_size()
    return size.columns, size.lines


async def _open(url: str, api_key: str, fd: int) -> ClientConnection:
    cols, rows = _size(fd)
    query = urlencode({"cols": cols, "rows": rows, "term": os.environ.get("TERM") or "xterm-256color"})
    try:
        return await connect(
            f"{url}?{query}", additional_headers={"x-goog-api-key": api_key}, max_size=None, open_timeout=60
        )
    except InvalidStatus as exc:
        raise CliError(f"the server refused the shell (HTTP {exc.response.status_code})") from None
    except (InvalidHandshake, OSError, TimeoutError) as exc:
        raise CliError(f"cannot open the shell at {url}: {exc or type(exc).__name__}") from None


def _refusal(exc: ConnectionClosed) -> CliError | None:
    if exc.rcvd is not None and 4000 <= exc.rcvd.code < 5000:
        return CliError(exc.rcvd.reason or f"the server closed the shell ({exc.rcvd.code})")
    return None


async def attach_terminal(url: str, api_key: str, stdin_fd: int = 0, stdout_fd: int = 1) -> str:
    """Run an interactive session until the shell exits or `~.` is typed; returns how it ended.

    Raises:
        CliError: the server refused (bad key, unknown environment) or could not be reached.
    """
    websocket = await _open(url, api_key, stdout_fd)
    loop = asyncio.get_running_loop()
    keys: asyncio.Queue[bytes] = asyncio.Queue()
    escape = EscapeFilter()

    def on_stdin() -> None:
        try:
            data = os.read(stdin_fd, 4096)
        except OSError:
            data = b""
        keys.put_nowait(data)

    def on_resize() -> None:
        cols, rows = _size(stdout_fd)
        message = json.dumps({"type": "resize", "cols": cols, "rows": rows})
        loop.create_task(websocket.send(message))  # noqa: RUF006 - fire and forget; the socket keeps it

    async def outgoing() -> str:
        while True:
            data = await keys.get()
            if not data:
                return "stdin closed"
            data = escape.feed(data)
            if data:
                await websocket.send(data)
            if escape.detached:
                return "detached"

    async def incoming() -> str:
        async for message in websocket:
            if isinstance(message, bytes):
                os.write(stdout_fd, message)
            else:
                control = json.loads(message)
                if control.get("type") == "exit":
                    return f"the shell exited with {control.get('exit_code')}"
        return "the server closed the shell"

    with _raw(stdin_fd):
        loop.add_reader(stdin_fd, on_stdin)
        with contextlib.suppress(NotImplementedError, RuntimeError):  # loop has no signal handlers
            loop.add_signal_handler(signal.SIGWINCH, on_resize)
        tasks = {asyncio.create_task(outgoing()), asyncio.create_task(incoming())}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finished = done.pop()
            try:
                ending = finished.result()
            except ConnectionClosed as exc:
                refusal = _refusal(exc)
                if refusal is not None:
                    raise refusal from None
                ending = "the connection closed"
        finally:
            for task in tasks:
                task.cancel()
            loop.remove_reader(stdin_fd)
            with contextlib.suppress(NotImplementedError, RuntimeError):  # loop has no signal handlers
                loop.remove_signal_handler(signal.SIGWINCH)
            await websocket.close()
    return ending
