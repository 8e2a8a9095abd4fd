"""The proxy's request framing at its edges (issue 21, mutation follow-up): the parsed request as a
whole, each refusal Warren makes itself (not the one h11 would make later), ports and paths by
default, the idle timeout of a body, header injection and header validation.
"""

from __future__ import annotations

import asyncio

import pytest

from orchestrator.egress.framing import (
    BadRequest,
    ProxyRequest,
    parse_head,
    read_body,
    upstream_request,
    valid_header,
)


@pytest.mark.parametrize(
    ("target", "host", "port", "path"),
    [
        ("http://a.test", "a.test", 80, "/"),
        ("http://XX.test/", "XX.test", 80, "/"),
        ("http://a.test/", "a.test", 80, "/"),
        ("http://a.test/x", "a.test", 80, "/x"),
        ("http://a.test/x?y=1", "a.test", 80, "/x?y=1"),
        ("http://a.test:8080/", "a.test", 8080, "/"),
        ("http://[::1]/", "::1", 80, "/"),
        ("http://[2606:4700::1]:8443/p", "2606:4700::1", 8443, "/p"),
    ],
)
def test_plain_request_targets(target: str, host: str, port: int, path: str) -> None:
    request, _ = parse_head(f"GET {target} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
    assert request == ProxyRequest("GET", host, port, path, (("Host", "h"),))


def test_connect_request_is_parsed_whole() -> None:
    request, _ = parse_head(b"CONNECT [2606:4700::1]:8443 HTTP/1.1\r\nX-A: b\r\n\r\n")
    assert request == ProxyRequest(
        "CONNECT",
        "2606:4700::1",
        8443,
        "[2606:4700::1]:8443",
        (("Host", "[2606:4700::1]:8443"), ("X-A", "b")),
    )


def test_a_missing_host_header_is_the_target_authority_first() -> None:
    request, _ = parse_head(b"GET http://a.test:8080/x HTTP/1.1\r\nX-A: b\r\n\r\n")
    assert request.headers == (("Host", "a.test:8080"), ("X-A", "b"))


def test_a_host_header_with_a_port_is_kept_alone() -> None:
    request, _ = parse_head(b"GET http://a.test/ HTTP/1.1\r\nHost: a.test:8080\r\n\r\n")
    assert request.headers == (("Host", "a.test:8080"),)


def test_http_1_0_is_accepted() -> None:
    request, _ = parse_head(b"GET http://a.test/ HTTP/1.0\r\n\r\n")
    assert (request.method, request.host, request.target) == ("GET", "a.test", "/")


def test_a_large_head_is_parsed_whole() -> None:
    """h11's default limit on a head is 16 KiB; the proxy has the whole head already and lifts it."""
    big = "v" * 40_000
    request, _ = parse_head(f"GET http://a.test/ HTTP/1.1\r\nX-Big: {big}\r\n\r\n".encode())
    assert request.headers[-1] == ("X-Big", big)


@pytest.mark.parametrize(
    "head",
    [
        b"GET https://a.test/ HTTP/1.1\r\n\r\n",
        b"GET ftp://a.test/ HTTP/1.1\r\n\r\n",
        b"POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\nX: 1\r\n 2\r\n\r\n",
        b"CONNECT a.test HTTP/1.1\r\n\r\n",
        b"CONNECT a.test:44x HTTP/1.1\r\n\r\n",
        b"GET http://a.test/ HTTP/1.1\r\n",
    ],
)
def test_refused_heads(head: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_head(head)


async def test_a_silent_body_times_out() -> None:
    _, connection = parse_head(b"POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\n\r\n")
    reader = asyncio.StreamReader()
    with pytest.raises(TimeoutError):
        async for _ in read_body(connection, reader, 0.05):
            pass


def test_an_injected_header_replaces_the_sandbox_s_own_whatever_its_case() -> None:
    request, _ = parse_head(
        b"GET http://a.test/ HTTP/1.1\r\nauthorization: Bearer sandbox\r\nX-Keep: 1\r\n\r\n"
    )
    _, sent = upstream_request(request, "a.test", [("Authorization", "Bearer real")])
    assert sent == (
        b"GET / HTTP/1.1\r\nHost: a.test\r\nX-Keep: 1\r\nAuthorization: Bearer real\r\n"
        b"Connection: close\r\n\r\n"
    )
    request, _ = parse_head(b"GET http://a.test/ HTTP/1.1\r\nX-Api-Key: sandbox\r\n\r\n")
    _, sent = upstream_request(request, "a.test", [("x-api-key", "real")])
    assert b"sandbox" not in sent and b"x-api-key: real\r\n" in sent


@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [
        ("Authorization", "Bearer abc", True),
        ("X-Empty", "", True),
        ("X-Tab", "a\tb", True),
        ("Bad Name", "x", False),
        ("", "x", False),
        ("X-A", "a\r\nX-B: c", False),
        ("X-A", "a\nb", False),
        ("X-A", "a\x00b", False),
        ("X-A", " padded", False),
    ],
)
def test_valid_header(name: str, value: str, valid: bool) -> None:
    assert valid_header(name, value) is valid
