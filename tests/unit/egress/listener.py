"""A stand-in upstream for egress tests: an HTTP listener on 127.0.0.1 that records what reaches it."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Listener:
    """Answers every request with `200 hello from <name>` and keeps each request head it saw."""

    name: str
    port: int = 0
    connections: int = 0
    heads: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    """The body of each request that said its `Content-Length`."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode("latin-1")
            self.heads.append(head)
            length = re.search(r"(?im)^content-length:\s*(\d+)\r$", head)
            if length:
                self.bodies.append(await asyncio.wait_for(reader.readexactly(int(length.group(1))), 10))
            body = f"hello from {self.name}\n".encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
            )
            await writer.drain()
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def listening(name: str, tls: ssl.SSLContext | None = None) -> AsyncIterator[Listener]:
    """Run a `Listener` on 127.0.0.1 and a free port for the block (HTTPS with `tls`)."""
    listener = Listener(name)
    server = await asyncio.start_server(listener.handle, "127.0.0.1", 0, ssl=tls)
    listener.port = server.sockets[0].getsockname()[1]
    async with server:
        yield listener
