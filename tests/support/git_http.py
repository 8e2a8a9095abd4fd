"""A git smart-HTTP server on loopback for clone tests, and the hostile variants of it.

`GitHttpServer(root)` serves the bare repositories under `root` through the real `git http-backend`
(protocol v0, as a server that ignores `Git-Protocol` speaks it). The variants misbehave the way a
hostile git host would: `redirect_to` answers every request with a 302 there; `endless_pack` answers
the final `git-upload-pack` request with a well-formed pack that never ends (sent at `rate` bytes per
second, stopping at `budget` and then holding the connection open); `hold` makes every request wait
for the event before it is served. Every request's path is recorded in `requests`.

with GitHttpServer(root) as server:
    server.url("app.git"), server.requests, server.pack_bytes_sent
"""

from __future__ import annotations

import gzip
import http.server
import os
import subprocess
import threading
import time
import zlib
from pathlib import Path
from types import TracebackType

__all__ = ["GitHttpServer"]

_OID = "5d1c1b8d2a1e4a7f9a0b6c3d2e1f0a9b8c7d6e5f"
"""The commit the endless server advertises (it never sends it: the pack never ends)."""
_OBJECTS = 100_000
"""Objects the endless pack announces: 100 GB of 1 MiB blobs (2**32 makes index-pack run out of memory)."""
_CHUNK = 65000
"""Band-1 payload per pkt-line (side-band-64k allows 65515)."""


def _pkt(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


def _blob_object(size: int) -> bytes:
    """One pack entry: a blob of `size` random bytes, so index-pack writes about what it receives."""
    byte, rest = (3 << 4) | (size & 0x0F), size >> 4
    header = bytearray()
    while rest:
        header.append(byte | 0x80)
        byte, rest = rest & 0x7F, rest >> 7
    header.append(byte)
    return bytes(header) + zlib.compress(os.urandom(size), 1)


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (git killed at the cap, a refused redirect) are expected here."""


class GitHttpServer:
    """A loopback git host; see the module docstring for its hostile modes."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        redirect_to: str | None = None,
        endless_pack: bool = False,
        rate: int = 16 << 20,
        budget: int = 256 << 20,
        hold: threading.Event | None = None,
    ) -> None:
        self.root = root
        self.redirect_to = redirect_to
        self.endless_pack = endless_pack
        self.rate = rate
        self.budget = budget
        self.hold = hold
        self.requests: list[str] = []
        """The path (with query) of every request received, in order."""
        self.pack_bytes_sent = 0
        """Bytes of endless pack the client accepted before it hung up."""
        self._closing = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        return int(self._server.server_address[1])

    def url(self, repo: str, host: str = "127.0.0.1") -> str:
        """The clone URL of `repo` on this server."""
        return f"http://{host}:{self.port}/{repo}"

    def __enter__(self) -> GitHttpServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test asserts on `requests`."""

            def do_GET(self) -> None:
                owner._serve(self)

            def do_POST(self) -> None:
                owner._serve(self)

        return Handler

    def _serve(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        self.requests.append(handler.path)
        body = _read_body(handler)
        if self.hold is not None:
            self.hold.wait(60)
        if self.redirect_to is not None:
            handler.send_response(302)
            handler.send_header("Location", self.redirect_to + handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif self.endless_pack:
            self._endless(handler, body)
        else:
            self._backend(handler, body)

    def _backend(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        path, _, query = handler.path.partition("?")
        env = {
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": handler.command,
            "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
        }
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _endless(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        if handler.command == "GET":
            caps = b"side-band-64k shallow no-progress symref=HEAD:refs/heads/main object-format=sha1"
            payload = (
                _pkt(b"# service=git-upload-pack\n")
                + b"0000"
                + _pkt(_OID.encode() + b" HEAD\0" + caps + b"\n")
                + _pkt(_OID.encode() + b" refs/heads/main\n")
                + b"0000"
            )
            _respond(handler, "application/x-git-upload-pack-advertisement", payload)
            return
        shallow = _pkt(f"shallow {_OID}\n".encode()) + b"0000"
        if _pkt(b"done\n") not in body:
            _respond(handler, "application/x-git-upload-pack-result", shallow)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-git-upload-pack-result")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        stream = (
            shallow
            + _pkt(b"NAK\n")
            + _pkt(b"\x01PACK" + (2).to_bytes(4, "big") + _OBJECTS.to_bytes(4, "big"))
        )
        blob = _blob_object(1 << 20)
        start = time.monotonic()
        try:
            while self.pack_bytes_sent < self.budget and not self._closing.is_set():
                for offset in range(0, len(blob), _CHUNK):
                    stream += _pkt(b"\x01" + blob[offset : offset + _CHUNK])
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(stream), stream))
                self.pack_bytes_sent += len(stream)
                stream = b""
                ahead = self.pack_bytes_sent / self.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
            self._closing.wait(60)  # past the budget: keep the client waiting, as a slow host would
        except (BrokenPipeError, ConnectionResetError):
            return


def _read_body(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = b""
        while size := int(handler.rfile.readline().strip() or b"0", 16):
            body += handler.rfile.read(size)
            handler.rfile.readline()
        handler.rfile.readline()
    else:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    if handler.headers.get("Content-Encoding", "").lower() == "gzip":
        body = gzip.decompress(body)
    return body


def _respond(handler: http.server.BaseHTTPRequestHandler, content_type: str, payload: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)
