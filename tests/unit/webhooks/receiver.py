"""A loopback receiver the test starts: answers each POST with the next status of a script."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    """What the receiver got, and the statuses it will answer (then 200 forever)."""

    port: int = 0
    statuses: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if 200 <= r["status"] < 300]


@contextlib.contextmanager
def scripted_receiver(statuses: list[int] | None = None) -> Iterator[Scripted]:
    """Serve on 127.0.0.1 (a free port) in a thread until the block ends."""
    state = Scripted(statuses=list(statuses or []))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with lock:
                status = state.statuses.pop(0) if state.statuses else 200
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.requests.append({"status": status, "headers": headers, "body": body, "path": self.path})
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
