"""The one place that turns errors into HTTP: domain exceptions, validation errors, unknown routes, crashes.

Code raises the HTTP-free kinds of `orchestrator.errors` (re-exported here for the routes); `_WIRE` is the
one table from kind to status and wire code, and `install_error_handlers` turns each into the wire error
body `{"error": {"code", "message", "details"?}}` (spec section 11). The codes and statuses are those of
Google's Interactions API error reference (ai.google.dev/gemini-api/docs/api-errors: `invalid_request`,
`authentication`, `model_not_found`, `rate_limit_exceeded`, `api_error`, ...); a status the reference
has no code for takes its snake_case name (`payload_too_large`, `method_not_allowed`), as Google's own
fallback does. Anything else becomes a 500 `api_error` with a generic message, logged here with its
traceback and never shown to the client.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.errors import (
    AlreadyExists,
    BadGateway,
    Conflict,
    DomainError,
    FailedPrecondition,
    InternalError,
    InvalidArgument,
    ModelNotFound,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    QuotaExceeded,
    RateLimited,
    Unauthenticated,
    Unimplemented,
)

from .wire.common import to_wire
from .wire.error_body import BadRequest, ErrorBody, ErrorPayload, FieldViolation
from .wire.paths import validation_violations
from .wire.scalars import MODEL_NOT_FOUND

__all__ = [
    "AlreadyExists",
    "ApiError",
    "Conflict",
    "FailedPrecondition",
    "InternalError",
    "InvalidArgument",
    "ModelNotFound",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "QuotaExceeded",
    "RateLimited",
    "Unauthenticated",
    "Unimplemented",
    "domain_error_response",
    "error_body",
    "error_headers",
    "error_response",
    "install_error_handlers",
    "wire_status",
]

log = logging.getLogger(__name__)

_CODE_BY_STATUS = {
    400: "invalid_request",
    401: "authentication",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "aborted",
    413: "payload_too_large",
    415: "invalid_request",
    429: "rate_limit_exceeded",
    500: "api_error",
    501: "unimplemented",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "deadline_exceeded",
}
"""The code of a bare HTTP status (routing, body caps): the reference's code for it."""


ApiError = DomainError
"""Kept for the routes: the root of the errors raised on purpose (now `orchestrator.errors.DomainError`)."""

_WIRE: dict[type[DomainError], tuple[int, str]] = {
    InvalidArgument: (400, "invalid_request"),
    # 400 as Google has it: the SDK retries 409 about four times, and a state that refused the request
    # once (an interaction that is not `requires_action`, an expired environment) will refuse again.
    FailedPrecondition: (400, "failed_precondition"),
    Unauthenticated: (401, "authentication"),
    PermissionDenied: (403, "permission_denied"),
    NotFound: (404, "not_found"),
    ModelNotFound: (404, "model_not_found"),
    Conflict: (409, "aborted"),  # a concurrency check failed; the SDK retries 409
    AlreadyExists: (409, "already_exists"),
    PayloadTooLarge: (413, "payload_too_large"),  # not in the reference: the status's own name
    RateLimited: (429, "rate_limit_exceeded"),
    QuotaExceeded: (429, "quota_exceeded"),
    InternalError: (500, "api_error"),
    Unimplemented: (501, "unimplemented"),
    BadGateway: (502, "bad_gateway"),  # not in the reference: the status's own name
}
"""The one table from error kind to HTTP status and wire code; a subclass takes its nearest kind's row."""


def wire_status(error: DomainError) -> tuple[int, str]:
    """The HTTP status and wire code of `error`: its nearest kind in `_WIRE`, else 500 `api_error`."""
    for kind in type(error).__mro__:
        if kind in _WIRE:
            return _WIRE[kind]
    return 500, "api_error"


def error_headers(error: DomainError) -> dict[str, str]:
    """`Retry-After` in whole seconds for a rate limit that knows its delay; nothing otherwise."""
    if not isinstance(error, RateLimited) or error.retry_after_s is None:
        return {}
    return {"Retry-After": str(max(0, math.ceil(error.retry_after_s)))}


def error_body(error: DomainError) -> ErrorBody:
    """The wire error body for `error`; a `field` adds a `BadRequest` detail naming it."""
    _, code = wire_status(error)
    if error.field is None:
        return ErrorBody(error=ErrorPayload(code=code, message=error.message))
    violation = FieldViolation(field=error.field, description=error.message)
    return ErrorBody(
        error=ErrorPayload(
            code=code,
            message=f"{error.field}: {error.message}",
            details=[BadRequest(field_violations=[violation])],
        )
    )


def domain_error_response(error: DomainError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The JSON response for a domain error: its table status, wire body and `Retry-After`, plus `headers`."""
    status, _ = wire_status(error)
    return error_response(status, error_body(error), {**error_headers(error), **(headers or {})})


def error_response(
    status_code: int, body: ErrorBody, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Build the JSON response for a wire error body."""
    return JSONResponse(status_code=status_code, content=to_wire(body), headers=dict(headers or {}))


@lru_cache(maxsize=256)
def _schema_of(annotation: Any) -> Mapping[str, Any] | None:
    try:
        return TypeAdapter(annotation).core_schema
    except Exception:  # an annotation pydantic cannot adapt: keep locations as reported
        return None


def _body_schema(request: Request | None) -> Mapping[str, Any] | None:
    route = request.scope.get("route") if request is not None else None
    body_field = getattr(route, "body_field", None)
    annotation = getattr(getattr(body_field, "field_info", None), "annotation", None)
    return None if annotation is None else _schema_of(annotation)


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if wire_status(exc)[0] >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    return domain_error_response(exc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    violations = validation_violations(exc.errors(), _body_schema(request))
    if not violations:
        violations = [FieldViolation(field="body", description="invalid request")]
    if len(violations) == 1 and all(e.get("type") == MODEL_NOT_FOUND for e in exc.errors()):
        return domain_error_response(ModelNotFound(violations[0].description, field=violations[0].field))
    message = "; ".join(f"{v.field}: {v.description}" for v in violations)
    payload = ErrorPayload(
        code="invalid_request", message=message, details=[BadRequest(field_violations=violations)]
    )
    return error_response(400, ErrorBody(error=payload))


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODE_BY_STATUS.get(status, "api_error" if status >= 500 else "invalid_request")
    if status == 404:
        message = f"no such resource: {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    else:
        message = str(exc.detail) if status < 500 else "internal error"
    headers = dict(exc.headers or {})
    return error_response(status, ErrorBody(error=ErrorPayload(code=code, message=message)), headers)


class _CatchAll:
    """ASGI middleware: an unhandled exception becomes a logged 500 `api_error` with a generic message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:  # the response is half sent (a stream): the server must drop the connection
                raise
            body = ErrorBody(error=ErrorPayload(code="api_error", message="internal error"))
            await error_response(500, body)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error `app` can produce to the wire error body; call once, before the app starts."""
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_middleware(_CatchAll)
