"""The one place that turns errors into HTTP: domain exceptions, validation errors, unknown routes, crashes.

Routes raise the `ApiError` subclasses below; `install_error_handlers` maps each to its status and to the
wire error body `{"error": {"code", "message", "details"?}}` (spec section 11). Anything else becomes a
500 `internal` with a generic message, logged here with its traceback and never shown to the client.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.errors import WarrenError

from .wire import BadRequest, ErrorBody, ErrorPayload, FieldViolation, to_wire, validation_violations

__all__ = [
    "AlreadyExists",
    "ApiError",
    "Conflict",
    "FailedPrecondition",
    "InternalError",
    "InvalidArgument",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "QuotaExceeded",
    "RateLimited",
    "Unauthenticated",
    "error_response",
    "install_error_handlers",
]

log = logging.getLogger(__name__)

_CODE_BY_STATUS = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "invalid_argument",
    429: "resource_exhausted",
    503: "unavailable",
}


class ApiError(WarrenError):
    """Root of the errors a route raises on purpose; each subclass fixes an HTTP status and a wire code."""

    status_code: ClassVar[int] = 500
    """The HTTP status."""
    code: ClassVar[str] = "internal"
    """The lowercase wire code."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        """Create the error.

        Args:
            message: what went wrong, shown to the client; never include secrets or internals.
            field: the JSON path of the offending field (e.g. `input[2].type`), when one is to blame.
        """
        super().__init__(message)
        self.message = message
        self.field = field

    def headers(self) -> dict[str, str]:
        """Extra response headers (e.g. `Retry-After`)."""
        return {}

    def body(self) -> ErrorBody:
        """The wire error body for this error."""
        if self.field is None:
            return ErrorBody(error=ErrorPayload(code=self.code, message=self.message))
        violation = FieldViolation(field=self.field, description=self.message)
        return ErrorBody(
            error=ErrorPayload(
                code=self.code,
                message=f"{self.field}: {self.message}",
                details=[BadRequest(field_violations=[violation])],
            )
        )


class InvalidArgument(ApiError, ValueError):
    """400 `invalid_argument`: the request is malformed; `field` names the bad field."""

    status_code = 400
    code = "invalid_argument"


class FailedPrecondition(ApiError):
    """400 `failed_precondition`: the request is valid but the resource is not in a state to accept it.

    400 rather than 409 on purpose: the SDK retries 409 about four times, and a state that refused the
    request once (an interaction that is not `requires_action`, an expired environment) will refuse again.
    """

    status_code = 400
    code = "failed_precondition"


class Unauthenticated(ApiError, PermissionError):
    """401 `unauthenticated`: no API key, or one Warren does not know."""

    status_code = 401
    code = "unauthenticated"


class PermissionDenied(ApiError, PermissionError):
    """403 `permission_denied`: the key is valid but may not do this."""

    status_code = 403
    code = "permission_denied"


class NotFound(ApiError, LookupError):
    """404 `not_found`: no such resource (or not visible to this key)."""

    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    """409 `conflict`: the request conflicts with the resource's current state. The SDK retries 409."""

    status_code = 409
    code = "conflict"


class AlreadyExists(Conflict):
    """409 `already_exists`: a resource with this id exists (e.g. a duplicate agent id)."""

    code = "already_exists"


class PayloadTooLarge(ApiError):
    """413 `payload_too_large`: the body or an uploaded file exceeds a limit."""

    status_code = 413
    code = "payload_too_large"


class RateLimited(ApiError):
    """429 `resource_exhausted`: a quota or rate limit was hit; the client may retry after a delay."""

    status_code = 429
    code = "resource_exhausted"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        """Create the error.

        Args:
            message: which limit was hit.
            retry_after_s: **seconds** until a retry may succeed; sent as `Retry-After` (rounded up).
        """
        super().__init__(message)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        """`Retry-After` in whole seconds, when known."""
        if self.retry_after_s is None:
            return {}
        return {"Retry-After": str(max(0, math.ceil(self.retry_after_s)))}


class QuotaExceeded(RateLimited):
    """429 `resource_exhausted`: a tenant quota (running sandboxes, model tokens) is used up.

    The message names the limit and its setting; no `Retry-After` unless the caller knows one.
    """


class InternalError(ApiError):
    """500 `internal`: Warren failed; the message must stay generic."""


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


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    if exc.status_code >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    return error_response(exc.status_code, exc.body(), exc.headers())


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    violations = validation_violations(exc.errors(), _body_schema(request))
    if not violations:
        violations = [FieldViolation(field="body", description="invalid request")]
    message = "; ".join(f"{v.field}: {v.description}" for v in violations)
    payload = ErrorPayload(
        code="invalid_argument", message=message, details=[BadRequest(field_violations=violations)]
    )
    return error_response(400, ErrorBody(error=payload))


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODE_BY_STATUS.get(status, "internal" if status >= 500 else "invalid_argument")
    if status == 404:
        message = f"no such resource: {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    else:
        message = str(exc.detail) if status < 500 else "internal error"
    headers = dict(exc.headers or {})
    return error_response(status, ErrorBody(error=ErrorPayload(code=code, message=message)), headers)


class _CatchAll:
    """ASGI middleware: an unhandled exception becomes a logged 500 `internal` with a generic message."""

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
            body = ErrorBody(error=ErrorPayload(code="internal", message="internal error"))
            await error_response(500, body)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error `app` can produce to the wire error body; call once, before the app starts."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_middleware(_CatchAll)
