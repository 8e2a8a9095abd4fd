"""What every wire model is built on: the base class, `to_wire`, union discriminators by JSON kind, and
the cross-field validation error. The validated scalar types (int64, timestamps, paths, ids, model
names) are in `scalars`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

__all__ = [
    "WireModel",
    "by_json_kind",
    "field_error",
    "json_kind",
    "to_wire",
]


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are refused, field docstrings feed the OpenAPI schema."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


def to_wire(model: BaseModel) -> dict[str, Any]:
    """Dump a wire model as the JSON object Warren sends: unset and None fields omitted, aliases applied."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def json_kind(value: Any) -> str | None:
    """Name the JSON kind of a value: `string`, `object`, `array`, `number`, `boolean` (None for null)."""
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict | BaseModel):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return None


def by_json_kind(expected: str, kind: Callable[[Any], str | None] = json_kind) -> Discriminator:
    """A union discriminator that picks the member by JSON kind, so an error names one member only.

    Args:
        expected: what the field accepts, for the error message (e.g. "a string or an object").
        kind: maps a value to its member's tag; the default is `json_kind`.
    """
    return Discriminator(
        kind,
        custom_error_type="invalid_kind",
        custom_error_message=f"must be {expected}",
    )


def field_error(model: BaseModel, loc: tuple[str | int, ...], message: str) -> ValidationError:
    """Build a validation error that names one field, for cross-field checks in model validators.

    Raise the result from an `after` model validator; pydantic prefixes the model's own location.
    """
    detail = InitErrorDetails(
        type=PydanticCustomError("value_error", message),
        loc=loc,
        input=getattr(model, str(loc[0]), None),
    )
    return ValidationError.from_exception_data(type(model).__name__, [detail])
