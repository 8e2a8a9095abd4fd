"""The runner's HTTP client over a Unix socket: a new token goes out on the connection it already has."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agents.uds_http import UnixHttp


async def test_reheaded_sends_the_new_headers_over_the_same_connection(tmp_path: Path) -> None:
    connections: list[list[str]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen: list[str] = []
        connections.append(seen)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the client closed the connection
                writer.close()
                return
            auth = [line for line in head.decode().split("\r\n") if line.startswith("authorization")]
            seen.append(auth[0])
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()

    path = str(tmp_path / "s.sock")
    server = await asyncio.start_unix_server(serve, path)
    async with server:
        pool = UnixHttp(path, {"authorization": "Bearer secret"})
        assert (await pool.request("GET", "/assignment")).body == b"ok"
        runner = pool.reheaded({"authorization": "Bearer token"})
        assert (await runner.request("POST", "/step")).body == b"ok"
        await pool.close()  # nothing of its own left to close: the connection moved on
        assert (await runner.request("POST", "/step")).status == 200
        await runner.close()
    tokens = ["authorization: Bearer secret", "authorization: Bearer token", "authorization: Bearer token"]
    assert connections == [tokens]
