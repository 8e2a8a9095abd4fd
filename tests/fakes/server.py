"""What every fake vendor shares: a uvicorn server in a thread, a reply queue, a request log.

A fake is a Starlette app on 127.0.0.1 (a free port) that speaks one vendor's wire format. A test
queues replies (`Turn`, `Status`, `Hang`, or a `Policy` that reads the request and decides), and
afterwards reads `fake.requests` to assert what the SDK really sent. An empty queue answers with
`fake.fallback`: `Turn(text="ok")`, or a reactive `Policy` a test puts there to play every turn.
"""

from __future__ import annotations

import abc
import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["FakeVendor", "Hang", "Policy", "Recorded", "Reply", "Status", "ToolCall", "Turn"]


@dataclass
class ToolCall:
    """A tool call the fake model makes."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass
class Turn:
    """One model answer, rendered in the vendor's format (JSON, or SSE when the SDK streamed)."""

    text: str | None = None
    thought: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    chunks: int = 3
    """How many stream deltas the text is cut into."""
    input_tokens: int = 11
    output_tokens: int = 7
    thought_tokens: int = 0


@dataclass
class Status:
    """An HTTP error in the vendor's error-body format."""

    status: int
    message: str = "fake error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hang:
    """Accept the request and never answer (until the server stops or `seconds` pass)."""

    seconds: float = 30.0


Policy = Callable[[dict[str, Any]], "Turn | Status | Hang"]
"""A reactive reply: reads the request body and decides (the runtime issue's fake policy)."""

Reply = Turn | Status | Hang | Policy


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def split_text(text: str, pieces: int) -> list[str]:
    """Cut text into up to `pieces` non-empty chunks that concatenate to it."""
    size = max(1, -(-len(text) // max(1, pieces)))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class FakeVendor(abc.ABC):
    """Base of the fakes: subclasses give `routes()` and render `Turn`/`Status` their own way."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: deque[Reply] = deque()
        self.fallback: Reply = Turn(text="ok")
        """The answer when the queue is empty; a `Policy` here answers every request."""
        self.lookup_error: Status | None = None
        """When set, model lookups (what `check()` calls) answer this error instead of the model."""
        self._closing = False
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- test API -------------------------------------------------------------------------------
    def queue(self, *replies: Reply) -> None:
        """Queue replies, answered in order, one per request."""
        self.replies.extend(replies)

    def reset(self) -> None:
        """Forget requests, queued replies and the fallback policy (between tests)."""
        self.requests.clear()
        self.replies.clear()
        self.fallback = Turn(text="ok")
        self.lookup_error = None

    @property
    def url(self) -> str:
        """Base URL of the server, no trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Serve on a free port from a background thread; returns once it accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = Starlette(routes=self.routes())
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve([sock])), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start within 10 s")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving; hung handlers are released."""
        self._closing = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- for subclasses -------------------------------------------------------------------------
    @abc.abstractmethod
    def routes(self) -> list[Route]:
        """The vendor's routes."""

    async def record(self, request: Request) -> Recorded:
        """Log the request (body parsed as JSON when it is JSON)."""
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        rec = Recorded(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        self.requests.append(rec)
        return rec

    def next_reply(self, body: dict[str, Any]) -> Turn | Status | Hang:
        """The next queued reply, with policies applied to the request body."""
        reply: Reply = self.replies.popleft() if self.replies else self.fallback
        if callable(reply):
            return reply(body)
        return reply

    async def hang(self, hang: Hang) -> Response:
        """Sleep until the server closes or the hang ends, then answer 504."""
        end = time.monotonic() + hang.seconds
        while time.monotonic() < end and not self._closing:
            await asyncio.sleep(0.05)
        return JSONResponse({"error": {"message": "hang ended"}}, status_code=504)


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()
