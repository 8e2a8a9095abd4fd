"""ASGI middleware of the API: the request body cap (SECURITY-CHECKLIST "Oversized bodies / multipart DoS").

`BodyLimit` answers 413 `payload_too_large` in the wire error body when a request declares a
`Content-Length` above the cap (before a byte of it is read), or when a body without one (chunked)
streams past the cap: bytes are counted as the app receives them, so no more than the cap plus one
chunk is ever held. A `multipart/*` body is also refused with 413 once it streams more parts than
`max_multipart_parts` (its boundary delimiters are counted as they arrive, before any parser sees
them): no route parses multipart today, and whatever parser comes later never gets a 10,000-part
body. Responses pass through untouched, so SSE streams work as before.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.api.errors import PayloadTooLarge, domain_error_response

__all__ = ["DEFAULT_MAX_MULTIPART_PARTS", "BodyLimit", "BodyTooLargeError"]

DEFAULT_MAX_MULTIPART_PARTS = 1000
"""Most parts a multipart body may have (`WARREN_MAX_MULTIPART_PARTS`)."""


class BodyTooLargeError(HTTPException):
    """The body streamed past the cap; raised from `receive` and mapped to 413 by the error handlers.

    An `HTTPException` on purpose: FastAPI re-raises those from its body parsing (anything else would
    become a 400 "error parsing the body"), and `errors.py` maps status 413 to `payload_too_large`.
    """

    def __init__(self, message: str) -> None:
        """Create the error; `message` names the limit that was passed."""
        super().__init__(413, message)


class _PartCounter:
    """Counts the boundary delimiters of a multipart body across chunks (a delimiter may straddle two)."""

    def __init__(self, boundary: bytes) -> None:
        self.delimiter = b"--" + boundary
        self.seen = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> int:
        """Count the delimiters completed by `chunk`; returns how many parts have begun so far."""
        data = self._tail + chunk
        self.seen += data.count(self.delimiter)
        keep = len(self.delimiter) - 1
        self._tail = data[-keep:] if keep and len(data) >= keep else data
        if data.endswith(self.delimiter):  # counted already: do not count it again from the tail
            self._tail = b""
        return self.seen  # the closing `--boundary--` is one more than the parts: fine for a cap


class BodyLimit:
    """Pure-ASGI middleware: refuse request bodies larger than `max_body_bytes` with a 413."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, max_multipart_parts: int = DEFAULT_MAX_MULTIPART_PARTS
    ) -> None:
        """Wrap `app`; `max_body_bytes` is the largest body, in **bytes**, let through, and
        `max_multipart_parts` the most parts of a `multipart/*` body."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_multipart_parts = max_multipart_parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes the app receives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = _content_length(scope)
        too_large = f"request body exceeds the limit of {limit} bytes"
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, too_large)
            return
        received = 0
        started = False
        boundary = _multipart_boundary(scope)
        parts = _PartCounter(boundary) if boundary else None
        too_many = f"multipart body has more than the limit of {self.max_multipart_parts} parts"

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLargeError(too_large)
                # the closing delimiter makes one more than the parts
                if parts is not None and parts.feed(chunk) > self.max_multipart_parts + 1:
                    raise BodyTooLargeError(too_many)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError as exc:
            if started:  # a route read its body after it began answering: nothing left to do but drop
                raise
            await self._refuse(scope, receive, send, exc.detail)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, message: str) -> None:
        response = domain_error_response(PayloadTooLarge(message), {"connection": "close"})
        await response(scope, receive, send)


def _multipart_boundary(scope: Scope) -> bytes | None:
    """The `boundary` of a `multipart/*` Content-Type, or None for any other body."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind, _, params = value.partition(b";")
            if not kind.strip().lower().startswith(b"multipart/"):
                return None
            for param in params.split(b";"):
                key, _, raw = param.strip().partition(b"=")
                boundary: bytes = raw.strip().strip(b'"')
                if key.strip().lower() == b"boundary" and boundary:
                    return boundary
            return None
    return None


def _content_length(scope: Scope) -> int | None:
    """The declared `Content-Length`, or None when absent or unreadable (then only counting applies)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
