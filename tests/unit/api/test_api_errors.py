"""`install_error_handlers`: domain errors, unknown routes and crashes all answer in the wire error shape."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from orchestrator.api import errors as e
from orchestrator.errors import WarrenError

CASES: list[tuple[e.ApiError, int, str]] = [
    (e.InvalidArgument("bad", field="input[2].type"), 400, "invalid_request"),
    (e.FailedPrecondition("interaction is not requires_action"), 400, "failed_precondition"),
    (e.Unauthenticated("missing x-goog-api-key"), 401, "authentication"),
    (e.PermissionDenied("key may not delete agents"), 403, "permission_denied"),
    (e.NotFound("no interaction 'int_x'"), 404, "not_found"),
    (e.Conflict("environment is busy"), 409, "aborted"),
    (e.AlreadyExists("agent 'a' exists"), 409, "already_exists"),
    (e.PayloadTooLarge("upload exceeds 100 MiB"), 413, "payload_too_large"),
    (e.RateLimited("too many interactions", retry_after_s=1.2), 429, "rate_limit_exceeded"),
    (e.InternalError("store unavailable"), 500, "api_error"),
]


def _app() -> FastAPI:
    app = FastAPI()
    install = e.install_error_handlers
    install(app)

    @app.get("/raise/{index}")
    async def raise_api_error(index: int) -> dict[str, str]:
        raise CASES[index][0]

    @app.get("/crash")
    async def crash() -> dict[str, str]:
        raise RuntimeError("db password is hunter2")

    @app.get("/items")
    async def items(page_size: int = 10) -> dict[str, int]:
        return {"page_size": page_size}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of an app whose routes raise on demand."""
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def test_hierarchy() -> None:
    """Every API error is a WarrenError, and shares the meaning of the matching builtin."""
    for error, _, _ in CASES:
        assert isinstance(error, WarrenError)
    assert issubclass(e.NotFound, LookupError)
    assert issubclass(e.InvalidArgument, ValueError)
    assert issubclass(e.PermissionDenied, PermissionError)
    assert issubclass(e.AlreadyExists, e.Conflict)


@pytest.mark.parametrize(("index", "status", "code"), [(i, c[1], c[2]) for i, c in enumerate(CASES)])
async def test_api_error_mapping(client: httpx.AsyncClient, index: int, status: int, code: str) -> None:
    """Each exception class answers with its status, lowercase code and message."""
    response = await client.get(f"/raise/{index}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert CASES[index][0].message in error["message"]


async def test_invalid_argument_names_field(client: httpx.AsyncClient) -> None:
    """An InvalidArgument with a field puts the path first in the message and in BadRequest details."""
    error = (await client.get("/raise/0")).json()["error"]
    assert error["message"] == "input[2].type: bad"
    assert error["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "input[2].type", "description": "bad"}],
        }
    ]


async def test_rate_limited_sets_retry_after(client: httpx.AsyncClient) -> None:
    """429 carries Retry-After in whole seconds, rounded up, which the SDK honours."""
    response = await client.get("/raise/8")
    assert response.headers["retry-after"] == "2"
    assert e.error_headers(e.RateLimited("x")) == {}


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    """404 for an unknown route and 405 for a wrong method use the same error shape."""
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = await client.post("/items")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET"


async def test_query_parameter_error(client: httpx.AsyncClient) -> None:
    """A bad query parameter is a 400 naming the parameter."""
    response = await client.get("/items", params={"page_size": "lots"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("page_size: ")


async def test_crash_is_generic_500_and_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception is a 500 `internal` that hides the exception text but logs the traceback."""
    with caplog.at_level(logging.ERROR, logger="orchestrator.api.errors"):
        response = await client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "api_error", "message": "internal error"}}
    assert "hunter2" not in response.text
    record = next(r for r in caplog.records if r.name == "orchestrator.api.errors")
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])
