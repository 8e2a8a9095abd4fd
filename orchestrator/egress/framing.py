"""Strict HTTP/1.1 framing for proxy requests: h11 parses, and Warren refuses what parsers disagree on.

A request smuggled past the proxy would carry the injected credential to whatever the upstream
reads as a second request. h11 itself tolerates bare line feeds, obsolete line folding, repeated
`Content-Length` and `Content-Length` beside `Transfer-Encoding`; upstream servers disagree about
each. So the raw head is checked first (CRLF only, no control characters, no folding, at most one
`Content-Length` of digits, never both framings), h11 then parses it and the body, and the upstream
request is written anew by an h11 client: what leaves is exactly one well-framed request.

Error messages are fixed texts: they never repeat the sandbox's bytes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

__all__ = [
    "METHODS",
    "BadRequest",
    "ProxyRequest",
    "parse_head",
    "read_body",
    "upstream_request",
    "valid_header",
]

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT"})
"""The methods the proxy relays (`TRACE` would reflect injected headers back into the sandbox)."""
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-authenticate",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "host",
    }
)
"""Headers the proxy never forwards (`Host` it sets itself from the request target)."""
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
"""Any control character but HTAB; after splitting on CRLF this includes bare CR and bare LF."""
_LENGTH = re.compile(rb"[0-9]{1,18}")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"([\x21-\x7e\x80-\xff]([\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?")
"""RFC 9110 field-value: visible characters and obs-text, inner spaces and tabs, nothing else."""


class BadRequest(ValueError):
    """Not one unambiguous HTTP/1.x proxy request; the message is a fixed text, safe to log and send."""


@dataclass(frozen=True)
class ProxyRequest:
    """One parsed proxy request head."""

    method: str
    """An upper-case method from `METHODS`."""
    host: str
    """The destination host as written in the target (not yet normalised or checked)."""
    port: int
    """The destination port (80 when an `http://` target names none)."""
    target: str
    """The origin-form path (`/x?y`) for plain HTTP; the authority for CONNECT."""
    headers: tuple[tuple[str, str], ...]
    """The headers as sent, names in their original case."""


def parse_head(head: bytes, origin: str | None = None) -> tuple[ProxyRequest, h11.Connection]:
    """Check and parse a head that ends with CRLF CRLF; the h11 connection then reads the body.

    `origin` (`host:port`) is set for a request read inside an intercepted TLS connection: its
    target is origin-form (`/path`) and its destination is the CONNECT's, whatever `Host` says.

    Raises:
        BadRequest: anything ambiguous or malformed.
    """
    lines = _checked_lines(head)
    request_line = lines[0].split(b" ")
    if len(request_line) != 3:
        raise BadRequest("malformed request line")
    method, target = request_line[0], request_line[1]
    if origin is not None:
        if method == b"CONNECT" or not target.startswith(b"/"):
            raise BadRequest("inside the tunnel send origin-form requests (/path)")
        authority = origin.encode("ascii")
    else:
        authority = target if method == b"CONNECT" else urlsplit(target).netloc
    if not authority:
        raise BadRequest("send http:// URLs as absolute URIs and use CONNECT for https")
    if not any(line.partition(b":")[0].lower() == b"host" for line in lines[1:]):
        lines.insert(1, b"Host: " + authority)  # the proxy sets Host from the target anyway
    connection = h11.Connection(h11.SERVER, max_incomplete_event_size=len(head) + 1024)
    connection.receive_data(b"\r\n".join(lines) + b"\r\n\r\n")
    try:
        event = connection.next_event()
    except h11.RemoteProtocolError as exc:
        raise BadRequest("malformed request head") from exc
    if not isinstance(event, h11.Request) or event.http_version not in (b"1.0", b"1.1"):
        raise BadRequest("malformed request head")
    name = event.method.decode("ascii")
    if name not in METHODS:
        raise BadRequest("method not proxied")
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers.raw_items())
    text = event.target.decode("ascii")
    if name == "CONNECT":
        host, port = _authority(text, None)
        return ProxyRequest(name, host, port, text, headers), connection
    if origin is not None:
        host, port = _authority(origin, None)
        return ProxyRequest(name, host, port, text, headers), connection
    parts = urlsplit(text)
    if parts.scheme != "http" or not parts.netloc:
        raise BadRequest("send http:// URLs as absolute URIs and use CONNECT for https")
    if "@" in parts.netloc:
        raise BadRequest("credentials in the URL are not proxied")
    host, port = _authority(parts.netloc, 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return ProxyRequest(name, host, port, path, headers), connection


async def read_body(
    connection: h11.Connection, reader: asyncio.StreamReader, idle_timeout_s: float
) -> AsyncIterator[bytes]:
    """The request body, chunk by chunk, exactly as framed; bytes after it are never read as body.

    Raises:
        BadRequest: bad chunk framing or an early end of file.
        TimeoutError: the sandbox sent nothing for `idle_timeout_s`.
    """
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as exc:
            raise BadRequest("malformed request body") from exc
        if event is h11.NEED_DATA:
            connection.receive_data(await asyncio.wait_for(reader.read(1 << 16), idle_timeout_s))
        elif isinstance(event, h11.Data):
            yield bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            return
        else:
            raise BadRequest("malformed request body")


def upstream_request(
    request: ProxyRequest, host_header: str, inject: Sequence[tuple[str, str]]
) -> tuple[h11.Connection, bytes]:
    """The upstream head, written by an h11 client: origin-form, our `Host`, injected headers, close.

    Injected headers must pass `valid_header` first; h11 refuses anything else.
    """
    replaced = {name.lower() for name, _ in inject}
    kept = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP | replaced]
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in [("Host", host_header), *kept, *inject, ("Connection", "close")]
    ]
    connection = h11.Connection(h11.CLIENT)
    head = connection.send(h11.Request(method=request.method, target=request.target, headers=headers))
    return connection, head or b""


def valid_header(name: str, value: str) -> bool:
    """Whether `name: value` is one well-formed header line (no CR, LF, NUL or other controls)."""
    return bool(_TOKEN.fullmatch(name)) and bool(_FIELD_VALUE.fullmatch(value))


def _checked_lines(head: bytes) -> list[bytes]:
    """The head's lines, refusing control characters, folding and ambiguous body framing."""
    if not head.endswith(b"\r\n\r\n"):
        raise BadRequest("malformed request head")
    lines = head[:-4].split(b"\r\n")
    if any(_CONTROL.search(line) for line in lines):
        raise BadRequest("control character in the request head")
    if any(line.startswith((b" ", b"\t")) for line in lines):
        raise BadRequest("obsolete line folding is not accepted")
    fields = [line.partition(b":") for line in lines[1:]]
    lengths = [value.strip() for name, _, value in fields if name.strip().lower() == b"content-length"]
    encodings = [name for name, _, _ in fields if name.strip().lower() == b"transfer-encoding"]
    if len(lengths) > 1 or len(encodings) > 1:
        raise BadRequest("repeated Content-Length or Transfer-Encoding")
    if lengths and encodings:
        raise BadRequest("Content-Length together with Transfer-Encoding")
    if lengths and not _LENGTH.fullmatch(lengths[0]):
        raise BadRequest("Content-Length is not a non-negative number")
    return lines


def _authority(authority: str, default_port: int | None) -> tuple[str, int]:
    host, sep, port = authority.rpartition(":")
    if not sep or (host.count(":") and not host.endswith("]")):  # no port, or a bare IPv6 literal
        host, port = authority, ""
    if not port and default_port is None:
        raise BadRequest("CONNECT needs host:port")
    if port and not port.isdigit():
        raise BadRequest("the port is not a number")
    return host.strip("[]"), int(port) if port else int(default_port or 0)
