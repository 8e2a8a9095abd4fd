"""A minimal HTTP/1.1 client over a Unix socket, for the runner channel's hot path.

The runner makes one request per agent step. httpx spends about 1.5 ms of CPU on each request,
seven times the whole round trip over the socket, so the channel speaks plain HTTP/1.1 itself:
keep-alive connections from a small pool, `Content-Length` bodies only. That is all the
orchestrator's channel server (uvicorn) ever sends, and anything else is refused loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from urllib.parse import urlencode

__all__ = ["ChannelTransportError", "Reply", "UnixHttp"]

_MAX_HEAD = 64 * 1024
_MAX_BODY = 256 * 1024 * 1024
_BROKEN = (OSError, EOFError, asyncio.LimitOverrunError, ValueError)
"""What a dropped connection or a reply cut off mid-way raises (IncompleteReadError is an EOFError)."""


class ChannelTransportError(ConnectionError):
    """The request may not have reached the server, or its reply was cut off: retry it."""


@dataclass(frozen=True)
class Reply:
    """A response: status and body (headers other than the length are not needed)."""

    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class UnixHttp:
    """Keep-alive HTTP/1.1 requests to a server listening on `path`.

    Args:
        path: the Unix socket.
        headers: sent with every request (authorization, content type).
        connect_timeout_s: how long to wait for a connection, in seconds.
    """

    def __init__(self, path: str, headers: dict[str, str], connect_timeout_s: float = 5.0) -> None:
        self.path = path
        self._headers = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._connect_timeout_s = connect_timeout_s
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self, method: str, target: str, body: bytes | None = None, params: dict[str, str] | None = None
    ) -> Reply:
        """Send one request and read its reply; raises `ChannelTransportError` if the socket fails."""
        if params:
            target = f"{target}?{urlencode(params)}"
        payload = body or b""
        head = f"{method} {target} HTTP/1.1\r\nhost: orchestrator\r\n{self._headers}"
        head += f"content-length: {len(payload)}\r\n\r\n"
        for attempt in (1, 2):
            reader, writer, reused = await self._connection()
            try:
                writer.write(head.encode() + payload)
                await writer.drain()
                status, length, keep = await _read_head(reader)
                data = await reader.readexactly(length) if length else b""
            except (
                OSError,
                EOFError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                writer.close()
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: once more on a new one
                raise ChannelTransportError(f"{method} {target}: {type(exc).__name__}: {exc}") from exc
            except BaseException:  # cancelled mid-request: the connection's state is unknown
                writer.close()
                raise
            if keep:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return Reply(status, data)
        raise AssertionError("unreachable")

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        """An idle connection (reused: True) or a new one."""
        while self._idle:
            reader, writer = self._idle.pop()
            if not writer.is_closing() and not reader.at_eof():
                return reader, writer, True
            writer.close()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(self.path, limit=_MAX_HEAD), self._connect_timeout_s
            )
            return reader, writer, False
        except (OSError, TimeoutError) as exc:
            raise ChannelTransportError(f"cannot connect to {self.path}: {exc}") from exc

    def reheaded(self, headers: dict[str, str]) -> UnixHttp:
        """A client of the same socket with other `headers`, taking this one's idle connections: a
        new token needs no new connection (under gVisor a connect to the host's socket costs ~1 ms)."""
        other = UnixHttp(self.path, headers, self._connect_timeout_s)
        other._idle, self._idle = self._idle, []
        return other

    async def close(self) -> None:
        """Close every idle connection."""
        for _reader, writer in self._idle:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        self._idle.clear()


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Status, body length and whether the connection stays open, from a response head."""
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {lines[0]!r}")
    status, length, keep = int(parts[1]), 0, parts[0] == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            raise ValueError(f"unsupported transfer-encoding {value!r} (expected a content-length)")
        elif name == "connection":
            keep = value.lower() != "close"
    if not 0 <= length <= _MAX_BODY:
        raise ValueError(f"content-length {length} out of range")
    return status, length, keep
