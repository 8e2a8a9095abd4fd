"""One proxied HTTP request of a preview URL: sent through the relay as HTTP/1.1, its answer streamed back.

h11 writes the request and parses the answer (the same strict parser the egress proxy uses), so a
sandbox cannot smuggle a second response or a malformed header past it. Both bodies stream: the
request's chunks are sent as the client sends them (the API's body cap applies), the answer's as
the sandbox sends them. Hop-by-hop headers are dropped both ways, and so are Warren's own key
headers and preview token, which never reach the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager

import h11
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from orchestrator.environments.preview import PreviewUnreachableError, RelayConnection

__all__ = ["HOP_BY_HOP", "RelayedResponse", "request_headers", "strip_cookie"]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
"""Headers about one hop (RFC 9110 section 7.6.1); a proxy never forwards them."""

_WARREN_REQUEST_HEADERS = frozenset({"x-goog-api-key", "host", "content-length"})
_MAX_HEADER_BYTES = 64 << 10


def strip_cookie(value: str, name: str) -> str:
    """A `Cookie` header without the cookie `name`."""
    kept = [part.strip() for part in value.split(";") if part.strip().split("=", 1)[0] != name]
    return "; ".join(part for part in kept if part)


def request_headers(
    headers: Iterable[tuple[str, str]], *, drop_authorization: bool, cookie: str, port: int
) -> list[tuple[str, str]]:
    """The client's headers as the sandbox gets them: no hop-by-hop, no Warren key, no preview cookie."""
    raw = list(headers)
    named = {
        n.strip().lower() for name, value in raw if name.lower() == "connection" for n in value.split(",")
    }
    kept: list[tuple[str, str]] = [("host", f"localhost:{port}")]
    for name, value in raw:
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in named or lower in _WARREN_REQUEST_HEADERS:
            continue
        if lower == "authorization" and drop_authorization:
            continue
        if lower == "cookie":
            value = strip_cookie(value, cookie)
            if not value:
                continue
        kept.append((lower, value))
    return kept


def _answer_headers(headers: Iterable[tuple[bytes, bytes]], prefix: str) -> list[tuple[bytes, bytes]]:
    named = {n.strip().lower() for name, value in headers if name == b"connection" for n in value.split(b",")}
    kept = []
    for name, value in headers:
        if name.decode("latin-1") in HOP_BY_HOP or name in named:
            continue
        if name == b"location" and value.startswith(b"/") and not value.startswith(b"//"):
            value = prefix.encode() + value  # a redirect inside the app stays under the preview URL
        kept.append((name, value))
    return kept


class RelayedResponse(Response):
    """Sends one request through a relay it opens when called, and streams the answer to the client.

    Args:
        connect: opens the relay (entered when the response is sent, closed when it is done).
        method: the request's method.
        target: path and query as the sandbox gets them.
        headers: the request's headers as the sandbox gets them.
        has_body: whether the client sends a body (a length or a chunked one).
        prefix: the preview URL's path up to the port, put before redirects to absolute paths.
    """

    def __init__(
        self,
        connect: Callable[[], AbstractAsyncContextManager[RelayConnection]],
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        has_body: bool,
        prefix: str,
    ) -> None:
        super().__init__(status_code=200)
        self._connect = connect
        self._method = method
        self._target = target
        self._relay_headers = headers
        self._has_body = has_body
        self._prefix = prefix
        self._started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Relay the request and its answer; a failure before the answer starts is raised (502 etc.)."""
        async with self._connect() as relay:
            conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEADER_BYTES)
            headers = list(self._relay_headers)
            if self._has_body and not any(name == "content-length" for name, _ in headers):
                headers.append(("transfer-encoding", "chunked"))
            headers.append(("connection", "close"))
            await relay.write(
                conn.send(h11.Request(method=self._method, target=self._target, headers=headers))
            )
            await self._send_body(conn, relay, receive)
            try:
                await self._answer(conn, relay, send)
            except (h11.RemoteProtocolError, ConnectionResetError) as exc:
                if self._started:
                    raise  # the client sees the answer cut short, as it was
                raise PreviewUnreachableError(
                    f"the port answered with no valid HTTP response ({exc})"
                ) from exc

    async def _send_body(self, conn: h11.Connection, relay: RelayConnection, receive: Receive) -> None:
        more = self._has_body
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionResetError("the client went away")
            body: bytes = message.get("body", b"")
            if body:
                await relay.write(conn.send(h11.Data(data=body)))
            more = bool(message.get("more_body"))
        await relay.write(conn.send(h11.EndOfMessage()))

    async def _answer(self, conn: h11.Connection, relay: RelayConnection, send: Send) -> None:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await relay.read()
                conn.receive_data(data)
                if not data and not self._started:
                    raise ConnectionResetError("the sandbox closed the connection before answering")
                continue
            if isinstance(event, h11.InformationalResponse):
                continue
            if isinstance(event, h11.Response):
                self._started = True
                await send(
                    {
                        "type": "http.response.start",
                        "status": event.status_code,
                        "headers": _answer_headers(event.headers, self._prefix),
                    }
                )
            elif isinstance(event, h11.Data):
                await send({"type": "http.response.body", "body": bytes(event.data), "more_body": True})
            else:  # EndOfMessage, ConnectionClosed, or the parser's PAUSED at the end
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
