"""The validated scalar types of the wire: int64 as proto3 JSON, RFC 3339 timestamps, workspace-relative
paths, client-chosen resource ids and model names.

Each is an `Annotated` type that checks a value once at the edge and says how it is sent back, so
the models that use them (and the OpenAPI schema) agree on one spelling.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from orchestrator.gateway.errors import ModelNotFoundError, UnknownProviderError
from orchestrator.gateway.names import (
    MAX_MODEL_NAME_CHARS,
    check_bare_name,
    check_model_name,
    is_bare,
    model_name_pattern,
)
from orchestrator.gateway.registry import PROVIDERS

__all__ = [
    "INT64_MAX",
    "MODEL_NOT_FOUND",
    "Int64",
    "ModelName",
    "RelativePath",
    "ResourceId",
    "Timestamp",
    "rfc3339",
]

INT64_MAX = 2**63 - 1
"""The largest value an int64 field may carry."""

_INT_STRING = re.compile(r"[+]?[0-9]{1,19}")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _parse_int64(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int64_type", "must be an int64 given as a JSON string or number")
    if isinstance(value, str):
        if not _INT_STRING.fullmatch(value):
            raise PydanticCustomError("int64_parsing", 'must be a non-negative int64, e.g. "1000"')
        return int(value)
    return value


Int64 = Annotated[
    int,
    BeforeValidator(_parse_int64),
    Field(ge=0, le=INT64_MAX),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "pattern": r"^\+?[0-9]{1,19}$"}, {"type": "integer", "minimum": 0}]},
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "format": "int64"}, mode="serialization"),
]
"""A non-negative int64: accepted as a JSON string or number, always sent as a string (proto3 JSON)."""


def rfc3339(value: datetime) -> str:
    """Format a datetime as RFC 3339 in UTC with a `Z` suffix (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A point in time, sent as an RFC 3339 string in UTC, e.g. `2026-05-20T10:00:00Z`."""


def _check_relative_path(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("path_nul", "must not contain a NUL character")
    if value.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", value):
        raise PydanticCustomError("path_absolute", "must be a path relative to the workspace, not absolute")
    if ".." in re.split(r"[/\\]", value):
        raise PydanticCustomError("path_traversal", "must not contain '..' segments")
    return value


RelativePath = Annotated[str, AfterValidator(_check_relative_path)]
"""A path inside the workspace: relative, without `..` segments or NUL characters."""


def _check_resource_id(value: str) -> str:
    if not _RESOURCE_ID.fullmatch(value):
        raise PydanticCustomError(
            "resource_id",
            "must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return value


ResourceId = Annotated[str, AfterValidator(_check_resource_id)]
"""A client-chosen resource id; it becomes a URL path segment, so it never contains `/`."""


MODEL_NOT_FOUND = "model_not_found"
"""The validation error type of a well-formed model name of a provider Warren lacks: `errors.py`
answers it 404 `model_not_found`, as Google does, where a malformed name is a 400."""


def _check_model_name(value: str) -> str:
    """The grammar only: which provider serves a bare name is the operator's routing, checked where
    the name is resolved (a 400 naming the same field)."""
    try:
        if is_bare(value):
            check_bare_name(value, PROVIDERS)
        else:
            check_model_name(value, PROVIDERS)
    except ModelNotFoundError as exc:
        raise PydanticCustomError(MODEL_NOT_FOUND, str(exc)) from None
    except UnknownProviderError as exc:  # its message never quotes the name
        raise PydanticCustomError("model_name", str(exc)) from None
    return value


ModelName = Annotated[
    str,
    AfterValidator(_check_model_name),
    WithJsonSchema(
        {"type": "string", "maxLength": MAX_MODEL_NAME_CHARS, "pattern": model_name_pattern(PROVIDERS)}
    ),
]
"""A model name, `provider:model` or a bare name (`gemini-3-flash-preview`, routed by
`gateway.routing`) in at most 128 characters (`gateway.names`); a `scripted:` model is a script
name, never a path."""
