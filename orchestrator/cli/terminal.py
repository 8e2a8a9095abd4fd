"""The network side of `warren attach`: the shell's WebSocket, between the terminal and the sandbox.

Keystrokes go out as binary frames, window changes as `{"type": "resize"}` text frames; output
comes back as binary frames and is written to the terminal unchanged. The local TTY handling
(raw mode, size, the `~.` escape) is in `keyboard.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from orchestrator.cli.common import CliError
from orchestrator.cli.keyboard import EscapeFilter, raw_mode, terminal_size

__all__ = ["attach_terminal"]


async def _open(url: str, api_key: str, fd: int) -> ClientConnection:
    cols, rows = terminal_size(fd)
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
        cols, rows = terminal_size(stdout_fd)
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

    with raw_mode(stdin_fd):
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
