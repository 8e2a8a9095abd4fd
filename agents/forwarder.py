"""The sandbox's only way out: relays 127.0.0.1:3128 to the orchestrator's egress proxy socket.

The sandbox has no network interface but loopback. `HTTP_PROXY`/`HTTPS_PROXY` point here, and each
TCP connection is piped unchanged to `/run/warren/egress.sock`, where the orchestrator's proxy
decides by the environment's allowlist. Nothing is decided here: code in the sandbox can bypass
this forwarder, but then it only reaches the same socket (or nothing).

    python -m agents.forwarder            # WARREN_EGRESS_SOCKET, WARREN_EGRESS_PORT
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from agents.protocol import EGRESS_SOCKET_ENV, FORWARDER_PORT

__all__ = ["PORT_ENV", "serve"]

log = logging.getLogger("agents.forwarder")
PORT_ENV = "WARREN_EGRESS_PORT"
"""The loopback port to listen on (default `FORWARDER_PORT`)."""


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()


async def _relay(socket_path: str, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
    try:
        proxy_r, proxy_w = await asyncio.open_unix_connection(socket_path)
    except OSError as exc:
        log.warning("egress socket %s unavailable: %s", socket_path, exc)
        client_w.close()
        return
    try:
        await asyncio.gather(_pipe(client_r, proxy_w), _pipe(proxy_r, client_w))
    finally:
        for writer in (proxy_w, client_w):
            writer.close()


async def serve(socket_path: str, port: int = FORWARDER_PORT) -> asyncio.Server:
    """Start listening on 127.0.0.1:`port`; each connection is piped to `socket_path`."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _relay(socket_path, reader, writer)

    return await asyncio.start_server(handle, "127.0.0.1", port)


async def _main() -> None:
    server = await serve(os.environ[EGRESS_SOCKET_ENV], int(os.environ.get(PORT_ENV, FORWARDER_PORT)))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_main())
