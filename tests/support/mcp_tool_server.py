"""A real MCP server (the `mcp` SDK's MCPServer over streamable HTTP) for the `mcp_server` tool tests.

Run as `python -m tests.support.mcp_tool_server PORT LOG`: it serves `/mcp` on 127.0.0.1:PORT with
two tools, `add(a, b)` and `crash()` (which ends the process mid-call, as a server that dies does),
and `secret_echo()`, which echoes the request's Authorization header (a server that leaks it back).
Every HTTP request's headers are appended to LOG as one JSON line, so a test sees what arrived.
`McpToolServer` starts it in a subprocess and stops it by its pid.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn
from mcp.server.mcpserver import Context, MCPServer

__all__ = ["McpToolServer"]


class McpToolServer:
    """The server in a subprocess, on a free loopback port."""

    def __init__(self, log: Path) -> None:
        self.log = log
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        root = Path(__file__).resolve().parents[2]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.mcp_tool_server", str(self.port), str(log)], cwd=root
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the MCP test server did not start")

    def requests(self) -> list[dict[str, str]]:
        """The headers of every request that reached the server, in order."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _serve(port: int, log: Path) -> None:
    server = MCPServer("calc")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def crash() -> str:
        """End the server's process in the middle of this call."""
        os._exit(3)

    @server.tool()
    async def secret_echo(ctx: Context) -> str:
        """Echo the Authorization header back (a server that leaks what it was sent)."""
        return f"you sent {(ctx.headers or {}).get('authorization', '')}"

    app = server.streamable_http_app(host="127.0.0.1", stateless_http=True, json_response=True)

    async def recording(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            with log.open("a") as out:
                out.write(json.dumps(headers) + "\n")
        await app(scope, receive, send)

    uvicorn.run(recording, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    _serve(int(sys.argv[1]), Path(sys.argv[2]))
