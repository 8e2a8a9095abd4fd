"""Error objects on the wire (spec section 11): the HTTP error body and the diagnostic `Error`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import WireModel

__all__ = ["BAD_REQUEST_TYPE", "BadRequest", "Error", "ErrorBody", "ErrorPayload", "FieldViolation"]

BadRequestType = Literal["type.googleapis.com/google.rpc.BadRequest"]
BAD_REQUEST_TYPE: BadRequestType = "type.googleapis.com/google.rpc.BadRequest"
"""The `@type` of the detail that lists field violations."""


class Error(WireModel):
    """A diagnostic fault: in `Interaction.errors` and in the SSE `error` event."""

    code: str | None = None
    """A lowercase code such as `invalid_request` or `api_error` (Google's error reference)."""
    message: str | None = None
    """What went wrong, for a developer."""


class FieldViolation(WireModel):
    """One bad field of a request."""

    field: str
    """The JSON path of the field, e.g. `input[1].call_id`; `body` for the body as a whole."""
    description: str
    """What is wrong with it."""


class BadRequest(WireModel):
    """A google.rpc.BadRequest detail: the fields that made a request invalid."""

    type_: Literal["type.googleapis.com/google.rpc.BadRequest"] = Field(
        default=BAD_REQUEST_TYPE, alias="@type"
    )
    """Always `type.googleapis.com/google.rpc.BadRequest`."""
    field_violations: list[FieldViolation] = Field(alias="fieldViolations")
    """The bad fields, in the order they were found."""


class ErrorPayload(WireModel):
    """The `error` object of an error body."""

    code: str
    """A code of Google's Interactions API error reference: `invalid_request`, `not_found`,
    `model_not_found`, `rate_limit_exceeded`, `api_error`, ... (`api/errors.py` holds the table)."""
    message: str
    """What went wrong; for a bad field it starts with the field's JSON path."""
    details: list[BadRequest] | None = None
    """Typed details; a BadRequest listing the bad fields for validation errors."""


class ErrorBody(WireModel):
    """The body of every 4xx and 5xx response: `{"error": {"code", "message", "details"?}}`."""

    error: ErrorPayload
    """The error."""
