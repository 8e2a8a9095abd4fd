"""JSON paths of validation errors: drop pydantic's union tags from a location, format it, word it.

pydantic locates an error inside a union member with the member's tag, e.g.
`("input", "steps", 1, "function_result", "call_id")`. The client wrote `input[1].call_id`.
`strip_union_tags` walks the validated type's core schema beside the location and removes exactly
the elements that are tags; `field_path` formats what remains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .error_body import FieldViolation

__all__ = ["field_path", "strip_union_tags", "validation_violations"]

Loc = tuple[int | str, ...]

_MAX_VIOLATIONS = 20
_PARAM_SOURCES = frozenset({"query", "path", "header", "cookie"})

_WRAPPERS = frozenset(
    {
        "default",
        "nullable",
        "function-before",
        "function-after",
        "function-wrap",
        "model",
        "model-field",
        "json-or-python",
        "lax-or-strict",
    }
)


def field_path(loc: Sequence[int | str]) -> str:
    """Format a location as a JSON path: `("input", 1, "call_id")` -> `input[1].call_id`.

    Integers become `[n]`. A key that is not a plain identifier (a map key such as `X-Api-Key` or
    `a.b`) is written `["..."]`. The empty location is `body`, the request body as a whole.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}" if out else part
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{escaped}"]'
    return out or "body"


def _unwrap(schema: Mapping[str, Any], defs: dict[str, Any]) -> Mapping[str, Any]:
    while True:
        kind = schema.get("type")
        if kind == "definitions":
            defs.update({d["ref"]: d for d in schema.get("definitions", ())})
            schema = schema["schema"]
        elif kind == "definition-ref":
            schema = defs[schema["schema_ref"]]
        elif kind in _WRAPPERS and "schema" in schema:
            schema = schema["schema"]
        elif kind == "json-or-python":
            schema = schema["json_schema"]
        elif kind == "lax-or-strict":
            schema = schema["lax_schema"]
        elif kind == "chain" and schema.get("steps"):
            schema = schema["steps"][-1]
        else:
            return schema


def _model_field(schema: Mapping[str, Any], key: int | str) -> Mapping[str, Any] | None:
    for name, field in schema.get("fields", {}).items():
        alias = field.get("validation_alias") or field.get("serialization_alias")
        if key in (name, alias):
            return field  # type: ignore[no-any-return]
    return None


def _union_member(schema: Mapping[str, Any], tag: str) -> Mapping[str, Any] | None:
    for choice in schema.get("choices", ()):
        if isinstance(choice, tuple | list):
            member, label = choice
            if label == tag:
                return member  # type: ignore[no-any-return]
    return None


def strip_union_tags(schema: Mapping[str, Any], loc: Sequence[int | str]) -> Loc:
    """Remove union member tags from `loc`, guided by the core schema `loc` was produced against.

    Args:
        schema: the core schema of the validated type (`Model.__pydantic_core_schema__`).
        loc: the error location pydantic reported.

    Returns:
        The location with only field names, indexes and map keys. Where the walk cannot follow the
        schema (an unexpected shape), the rest of the location is kept as it is.
    """
    defs: dict[str, Any] = {}
    out: list[int | str] = []
    node: Mapping[str, Any] | None = schema
    i = 0
    while i < len(loc) and node is not None:
        node = _unwrap(node, defs)
        kind, part = node.get("type"), loc[i]
        if kind == "model-fields":
            node = _model_field(node, part)
            out.append(part)
        elif kind in ("list", "set", "frozenset", "tuple") and isinstance(part, int):
            items = node.get("items_schema")
            if isinstance(items, list):  # a tuple schema: one entry per position, the last may repeat
                variadic = node.get("variadic_item_index")
                at = min(part, variadic) if variadic is not None and variadic == len(items) - 1 else part
                items = items[at] if at < len(items) else None
            node = items
            out.append(part)
        elif kind == "dict":
            node = node.get("values_schema")
            out.append(part)
        elif kind == "tagged-union" and isinstance(part, str) and part in node["choices"]:
            node = node["choices"][part]
        elif kind == "union" and isinstance(part, str):
            node = _union_member(node, part)
        else:
            break
        i += 1
    return (*out, *loc[i:])


def _describe(error: Mapping[str, Any]) -> tuple[tuple[int | str, ...], str]:
    """Adjust one pydantic error: point tag errors at the discriminator field, and word messages."""
    loc, kind, ctx = tuple(error.get("loc", ())), error.get("type"), error.get("ctx") or {}
    discriminator = str(ctx.get("discriminator", ""))
    if kind in ("union_tag_invalid", "union_tag_not_found") and discriminator.startswith("'"):
        loc = (*loc, discriminator.strip("'"))
        if kind == "union_tag_not_found":
            return loc, "Field required"
        # The tag is request content (a tenant's value may be a pasted secret or 30 MB): never echoed.
        return loc, f"unknown type; expected one of {ctx.get('expected_tags')}"
    if kind == "extra_forbidden":
        return loc, "unknown field"
    if kind == "json_invalid":
        return (), f"malformed JSON: {ctx.get('error', 'cannot parse the body')}"
    return loc, str(error.get("msg", "invalid value"))


def validation_violations(
    errors: Sequence[Mapping[str, Any]], body_schema: Mapping[str, Any] | None = None
) -> list[FieldViolation]:
    """Turn FastAPI/pydantic validation errors into field violations with clean JSON paths.

    Args:
        errors: `RequestValidationError.errors()`; locations start with `body`, `query`, `path`, ...
        body_schema: the core schema the body was validated against, to strip union tags.
    """
    violations: list[FieldViolation] = []
    for error in errors:
        loc, message = _describe(error)
        source, rest = (loc[0], loc[1:]) if loc else ("body", ())
        if source == "body":
            rest = strip_union_tags(body_schema, rest) if body_schema is not None else rest
            path = field_path(rest)
        elif source in _PARAM_SOURCES and rest:
            path = field_path(rest)
        else:
            path = field_path(loc)
        violation = FieldViolation(field=path, description=message)
        if violation not in violations:
            violations.append(violation)
    return violations[:_MAX_VIOLATIONS]
