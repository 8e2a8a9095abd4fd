"""The egress proxy's own answers: a refusal with a status and a reason the sandbox can read.

A refusal is `HTTP/1.1 <status>` with `X-Warren-Egress: refused; reason=<reason>` and a one-line
text body. After writing it the proxy lingers a moment, reading what the sandbox still sends, so
that closing with unread input does not reset the connection before the answer was read.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

__all__ = ["Refused", "answer", "linger"]

_LINGER_S = 1.0


class Refused(Exception):
    """A request the proxy answers itself, with `status` and `reason`."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.reason, self.detail = status, reason, detail


async def linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """After a refusal, half-close and read what the sandbox still sends (at most 1 s), so closing
    with unread input does not reset the connection before the sandbox has read the answer."""
    with contextlib.suppress(OSError, RuntimeError, TimeoutError):
        if writer.can_write_eof():
            writer.write_eof()
        async with asyncio.timeout(_LINGER_S):
            while await reader.read(1 << 16):
                pass


async def answer(writer: asyncio.StreamWriter, status: int, reason: str, detail: str) -> None:
    """The proxy's own answer: a short text body and `X-Warren-Egress: refused; reason=...`."""
    phrases: dict[int, Any] = {
        400: "Bad Request",
        403: "Forbidden",
        413: "Content Too Large",
        429: "Too Many Requests",
        502: "Bad Gateway",
    }
    body = f"warren egress proxy: {reason}: {detail}\n".encode()
    head = (
        f"HTTP/1.1 {status} {phrases.get(status, 'Error')}\r\n"
        f"X-Warren-Egress: refused; reason={reason}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        writer.write(head.encode() + body)
        await writer.drain()
