"""`python3 -m agents.port_relay PORT`: one preview-URL connection, piped to 127.0.0.1:PORT.

The orchestrator starts this with the engine's exec on a TTY (the only streaming exec the sandbox
seam offers) and writes and reads the TTY's bytes; the sandbox gets no network interface. The
relay first puts its terminal in raw mode, so bytes pass unchanged both ways (no echo, no line
editing, no CR/LF translation, no signal or flow-control characters), then connects and says so on
one line, `OK\\n` or `ERR <reason>\\n`, before any byte of the connection. It ends when either side
closes; nothing it writes names a host path.

The engine reads ctrl-p ctrl-q (0x10 0x11) on a TTY's input as "detach" and ends the stream, so
the orchestrator sends every 0x10 as 0x10 0x00 (`ESCAPE`, `escape`) and the relay undoes it
(`Unescape`); output is not escaped, the engine passes it unread.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import sys
import termios
import tty

__all__ = ["ESCAPE", "READY", "Unescape", "escape", "main"]

READY = b"OK\n"
"""The line that says the connection is up; bytes after it are the connection's."""
ESCAPE = b"\x10"
"""ctrl-p, the first byte of the engine's detach sequence; sent as `ESCAPE + b"\\0"`."""


def escape(data: bytes) -> bytes:
    """Input bytes as the orchestrator writes them to the relay's TTY."""
    return data.replace(ESCAPE, ESCAPE + b"\0")


class Unescape:
    """Undoes `escape` over a stream cut anywhere (an escape may end one chunk)."""

    def __init__(self) -> None:
        self._pending = False

    def feed(self, data: bytes) -> bytes:
        """The original bytes of this chunk."""
        if self._pending and data:
            data, self._pending = data[1:], False  # the b"\0" after an escape that ended the last chunk
        out = bytearray()
        start = 0
        while (found := data.find(ESCAPE, start)) >= 0:
            out += data[start : found + 1]
            if found + 1 == len(data):
                self._pending = True
                start = len(data)
                break
            start = found + 2
        out += data[start:]
        return bytes(out)


_CHUNK = 64 << 10


def _raw(fd: int) -> None:
    """Raw mode on a terminal (a pipe needs nothing)."""
    with contextlib.suppress(termios.error):
        tty.setraw(fd, termios.TCSANOW)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _pipe(conn: socket.socket, stdin: int, stdout: int) -> None:
    """Copy bytes both ways until one side ends."""
    selector = selectors.DefaultSelector()
    selector.register(stdin, selectors.EVENT_READ, "in")
    selector.register(conn, selectors.EVENT_READ, "out")
    unescape = Unescape()
    while True:
        for key, _ in selector.select():
            if key.data == "in":
                data = os.read(stdin, _CHUNK)
                if not data:
                    return
                conn.sendall(unescape.feed(data))
            else:
                data = conn.recv(_CHUNK)
                if not data:
                    return
                _write_all(stdout, data)


def main(argv: list[str]) -> int:
    """Relay stdin/stdout to the port named in `argv[0]`; the exit status says how it ended."""
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # on a TTY, stderr would mix into the connection's bytes
    _raw(stdin)
    try:
        port = int(argv[0])
        if not 1 <= port <= 65535:
            raise ValueError(port)
    except (IndexError, ValueError):
        _write_all(stdout, b"ERR bad port\n")
        return 2
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError as exc:
        _write_all(stdout, f"ERR {exc.strerror or 'cannot connect'}\n".encode())
        return 1
    conn.settimeout(None)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _write_all(stdout, READY)
    try:
        _pipe(conn, stdin, stdout)
    except OSError:
        return 1
    finally:
        conn.close()
        with contextlib.suppress(termios.error):
            termios.tcdrain(stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
