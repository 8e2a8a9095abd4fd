"""ASGI middleware of the API: the request body cap (SECURITY-CHECKLIST "Oversized bodies").

`BodyLimit` answers 413 `payload_too_large` in the wire error body when a request declares a
`Content-Length` above the cap (before a byte of it is read), or when a body without one (chunked)
streams past the cap: bytes are counted as the app receives them, so no more than the cap plus one
chunk is ever held. Responses pass through untouched, so SSE streams work as before.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.api.errors import PayloadTooLarge, error_response

__all__ = ["BodyLimit", "BodyTooLargeError"]


class BodyTooLargeError(HTTPException):
    """The body streamed past the cap; raised from `receive` and mapped to 413 by the error handlers.

    An `HTTPException` on purpose: FastAPI re-raises those from its body parsing (anything else would
    become a 400 "error parsing the body"), and `errors.py` maps status 413 to `payload_too_large`.
    """

    def __init__(self, limit: int) -> None:
        """Create the error for a cap of `limit` bytes."""
        super().__init__(413, f"request body exceeds the limit of {limit} bytes")


class BodyLimit:
    """Pure-ASGI middleware: refuse request bodies larger than `max_body_bytes` with a 413."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        """Wrap `app`; `max_body_bytes` is the largest body, in **bytes**, let through."""
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes the app receives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if started:  # a route read its body after it began answering: nothing left to do but drop
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = PayloadTooLarge(f"request body exceeds the limit of {self.max_body_bytes} bytes")
        response = error_response(error.status_code, error.body(), {"connection": "close"})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared `Content-Length`, or None when absent or unreadable (then only counting applies)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
