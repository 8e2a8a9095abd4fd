"""The runner's process starts without the optional shared libraries of `agents.lean_imports`, and an
http hook to an `https` URL still works in it: httpx, and asyncio's own TLS, once `with_ssl` brings
`ssl` back.

The runner's side runs in a fresh interpreter with the runner's flags, so the held-back modules never
touch this test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from orchestrator.interactions.runner_sandbox import RUNNER_COMMAND
from tests.unit.egress.tls import TestCA

REPO = Path(__file__).resolve().parents[3]

LIBRARIES = ("_ssl", "_bz2", "_lzma", "_uuid", "yaml._yaml")
"""The shared libraries the held-back modules would load."""


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-length", str(len(body) + 4))
        self.end_headers()
        self.wfile.write(b"got " + body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS echo on 127.0.0.1 and the PEM of the CA that signed its certificate."""
    ca = TestCA()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.socket = ca.server_context("127.0.0.1").wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/hook", ca.write(tmp_path / "ca.pem")
    finally:
        server.shutdown()
        server.server_close()


def _runner_side(url: str) -> str:
    return f"""
import importlib, sys
from agents.boot import prepare
from agents.bundle import START_PATH
prepare(None)
import asyncio, json
for root in START_PATH:
    importlib.import_module(root)
held = sorted(n for n in {LIBRARIES!r} if sys.modules.get(n) is not None)
from agents.hooks import _post
via_httpx = asyncio.run(_post({url!r}, b"ping", 10)).decode()

async def raw() -> str:
    import ssl
    host, port = {url!r}.split("/")[2].split(":")
    context = ssl.create_default_context(cafile=__import__("os").environ["SSL_CERT_FILE"])
    reader, writer = await asyncio.open_connection(host, int(port), ssl=context)
    head = b"POST /hook HTTP/1.1\\r\\nhost: x\\r\\ncontent-length: 3\\r\\nconnection: close\\r\\n\\r\\n"
    writer.write(head + b"raw")
    answer = await reader.read()
    writer.close()
    return answer.decode().rsplit("\\r\\n", 1)[-1]

print(json.dumps({{"held": held, "httpx": via_httpx, "asyncio": asyncio.run(raw())}}))
"""


def test_the_runner_starts_without_the_optional_libraries_and_its_https_hooks_still_work(
    https_server: tuple[str, Path],
) -> None:
    url, ca = https_server
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    done = subprocess.run(
        [sys.executable, *RUNNER_COMMAND[1:-2], "-c", _runner_side(url)],
        env={**env, "PYTHONPATH": str(REPO), "SSL_CERT_FILE": str(ca)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "held": [],  # none of the libraries loaded by the start path
        "httpx": "got ping",  # the http hook's own client, `ssl` brought back
        "asyncio": "got raw",  # asyncio's TLS, its modules given `ssl` again
    }
