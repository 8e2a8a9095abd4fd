"""Strict request framing (`orchestrator.egress.framing`), the operator's allowance and log escaping."""

from __future__ import annotations

import asyncio
import ipaddress

import h11
import pytest

from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress.framing import BadRequest, parse_head, read_body, upstream_request
from orchestrator.egress.logsafe import printable


def test_a_plain_request_is_parsed_and_rewritten_for_the_upstream() -> None:
    head = (
        b"GET http://a.test:8080/x?y=1 HTTP/1.1\r\nHost: evil.test\r\nX-Keep: 1\r\n"
        b"Proxy-Connection: k\r\n\r\n"
    )
    request, _ = parse_head(head)
    assert (request.method, request.host, request.port, request.target) == ("GET", "a.test", 8080, "/x?y=1")
    _, sent = upstream_request(request, "a.test:8080", [("Authorization", "Bearer s")])
    assert sent == (
        b"GET /x?y=1 HTTP/1.1\r\nHost: a.test:8080\r\nX-Keep: 1\r\nAuthorization: Bearer s\r\n"
        b"Connection: close\r\n\r\n"
    )


def test_a_missing_host_is_taken_from_the_target() -> None:
    request, _ = parse_head(b"CONNECT a.test:443 HTTP/1.1\r\n\r\n")
    assert (request.method, request.host, request.port) == ("CONNECT", "a.test", 443)


@pytest.mark.parametrize(
    "head",
    [
        b"GET http://a.test/ HTTP/1.1\r\nX: 1\nY: 2\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\nX: 1\rY: 2\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\nX: a\x00b\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\nX: 1\r\n\t2\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"GET http://a.test/ HTTP/2.0\r\n\r\n",
        b"TRACE http://a.test/ HTTP/1.1\r\n\r\n",
        b"get http://a.test/ HTTP/1.1\r\n\r\n",
        b"GET  http://a.test/ HTTP/1.1\r\n\r\n",
        b"GET http://user@a.test/ HTTP/1.1\r\n\r\n",
        b"CONNECT a.test:https HTTP/1.1\r\n\r\n",
    ],
)
def test_ambiguous_heads_are_refused(head: bytes) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_head(head)
    assert "a.test" not in str(refused.value), "errors never repeat the request"


async def test_the_body_ends_where_its_framing_says() -> None:
    """Chunked or by length, the body stops at its end: a pipelined request is never body."""
    bodies = [(b"Content-Length: 3", b"abc"), (b"Transfer-Encoding: chunked", b"3\r\nabc\r\n0\r\n\r\n")]
    for framing, body in bodies:
        reader = asyncio.StreamReader()
        reader.feed_data(body + b"GET http://victim.test/ HTTP/1.1\r\n\r\n")
        _, incoming = parse_head(b"POST http://a.test/ HTTP/1.1\r\n" + framing + b"\r\n\r\n")
        chunks = [chunk async for chunk in read_body(incoming, reader, 1)]
        assert b"".join(chunks) == b"abc"
        assert incoming.next_event() is h11.PAUSED, "h11 holds the rest; the proxy never reads it"
        assert incoming.trailing_data[0].startswith(b"GET http://victim.test/")


async def test_a_truncated_body_is_refused() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(b"ab")
    reader.feed_eof()
    _, incoming = parse_head(b"POST http://a.test/ HTTP/1.1\r\nContent-Length: 3\r\n\r\n")
    with pytest.raises(BadRequest):
        [chunk async for chunk in read_body(incoming, reader, 1)]


def test_allowances_name_a_port() -> None:
    entry = AddressAllowance.parse("10.1.2.0/24:443")
    assert entry.covers(ipaddress.ip_address("10.1.2.9"), 443) and not entry.covers(
        ipaddress.ip_address("10.1.2.9"), 22
    )
    assert AddressAllowance.parse("[fd00::/8]:*").covers(ipaddress.ip_address("fd00::1"), 22)
    for bad in ("10.1.2.0/24", "::1", "127.0.0.1:0", "host:80", "10.0.0.0/33:80"):
        with pytest.raises(ValueError, match=r"egress address"):
            AddressAllowance.parse(bad)


def test_printable_escapes_controls_and_bounds_length() -> None:
    assert printable("a\nb\r\x1b[2J\u2028\\") == "a\\x0ab\\x0d\\x1b[2J\\u2028\\\\"
    assert printable("x" * 300, 10) == "x" * 10 + "..."


def test_inside_an_intercepted_tunnel_the_destination_is_the_connect_s() -> None:
    """`origin` (the CONNECT's `host:port`): origin-form only, and `Host` cannot move the request."""
    request, _ = parse_head(b"GET /v1/x?y=1 HTTP/1.1\r\nHost: evil.test\r\n\r\n", "api.example.com:8443")
    assert (request.host, request.port, request.target) == ("api.example.com", 8443, "/v1/x?y=1")
    request, _ = parse_head(b"POST /up HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "[2001:db8::1]:443")
    assert (request.host, request.port) == ("2001:db8::1", 443)
    for head in (
        b"GET http://evil.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        b"CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        with pytest.raises(BadRequest, match="origin-form"):
            parse_head(head, "api.example.com:443")
