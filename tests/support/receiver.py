"""A loopback HTTP receiver for webhook deliveries that a test starts and reads back.

with webhook_receiver() as receiver:
    receiver.url                    # http://127.0.0.1:PORT; POST anywhere under it is recorded
    GET {url}/_received             # the recorded requests as JSON, for a client in another process
    receiver.requests               # the same list in-process: {path, headers, body}
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Receiver", "webhook_receiver"]

_MAX_BODY = 1 << 20


@dataclass
class Receiver:
    """Where the receiver listens and what it has been sent."""

    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("content-length") or 0), _MAX_BODY)
            body = self.rfile.read(length).decode("utf-8", "replace")
            headers = {key.lower(): value for key, value in self.headers.items()}
            receiver.requests.append({"path": self.path, "headers": headers, "body": body})
            self._answer(200, b"{}")

        def do_GET(self) -> None:
            if self.path != "/_received":
                self._answer(404, b"{}")
                return
            self._answer(200, json.dumps(receiver.requests).encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads the requests, not a log."""

    return Handler


@contextlib.contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """Serve on a free 127.0.0.1 port in a thread until the block ends."""
    receiver = Receiver()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
