"""What a preview URL relays: the client's headers without hop-by-hop ones, Warren's key or its token."""

from __future__ import annotations

import logging

from orchestrator.api.preview_http import request_headers, strip_cookie
from orchestrator.observability.logs import RedactTokenFilter


def test_hop_by_hop_warren_and_connection_named_headers_are_dropped() -> None:
    headers = [
        ("host", "warren.example"),
        ("x-goog-api-key", "wk_secret"),
        ("authorization", "Bearer wk_secret"),
        ("connection", "keep-alive, x-private"),
        ("x-private", "1"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "h2c"),
        ("content-length", "5"),
        ("cookie", "a=1; warren_preview=v1.x.y.z; b=2"),
        ("x-app", "kept"),
    ]
    sent = request_headers(headers, drop_authorization=True, cookie="warren_preview", port=3000)
    assert sent == [("host", "localhost:3000"), ("cookie", "a=1; b=2"), ("x-app", "kept")]


def test_the_apps_own_authorization_passes_when_the_key_came_in_another_header() -> None:
    headers = [("x-goog-api-key", "wk_secret"), ("authorization", "Basic dXNlcjpwdw==")]
    sent = request_headers(headers, drop_authorization=False, cookie="warren_preview", port=80)
    assert ("authorization", "Basic dXNlcjpwdw==") in sent
    assert all(value != "wk_secret" for _, value in sent)


def test_a_cookie_header_of_only_the_token_is_dropped() -> None:
    assert strip_cookie("warren_preview=v1.a.b.c", "warren_preview") == ""
    sent = request_headers(
        [("cookie", "warren_preview=t")], drop_authorization=False, cookie="warren_preview", port=1
    )
    assert [name for name, _ in sent] == ["host"]


def test_the_access_log_never_shows_a_preview_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:1",
            "GET",
            "/v1beta/environments/e/ports/80/?a=1&warren_preview=v1.dA.9.sig&b=2",
            "1.1",
            303,
        ),
        None,
    )
    assert RedactTokenFilter().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:1 - "GET /v1beta/environments/e/ports/80/?a=1&warren_preview=<redacted>&b=2 HTTP/1.1" 303'
    )
