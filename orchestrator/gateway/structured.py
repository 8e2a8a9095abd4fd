"""Structured output: a tenant's response schema checked once, and the model's answer checked against it.

The schema comes from a tenant and the answer from a model, so both are hostile. The schema is
bounded (size, nesting), refers only inside itself (`$ref: "#..."`, so nothing is ever fetched),
and its `pattern`s run on RE2, in linear time, so no schema can stall the server with a
backtracking regex (`patternProperties`, which jsonschema matches with `re` in several places, is
refused). Every provider's final answer is validated here, whatever its vendor promised, before
the interaction completes; a failure is a `StructuredOutputError` (`invalid_structured_output`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import re2
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator

from agents.model_types import GenerationConfig
from orchestrator.gateway.errors import StructuredOutputError

__all__ = ["MAX_SCHEMA_BYTES", "MAX_SCHEMA_DEPTH", "schema_problem", "validate_answer"]

MAX_SCHEMA_BYTES = 64 * 1024
"""A response schema's size as compact JSON."""
MAX_SCHEMA_DEPTH = 32
"""How deeply objects and arrays may nest in a response schema."""
_REFUSED_KEYWORDS = ("patternProperties",)
_QUIET = re2.Options()
_QUIET.log_errors = False  # a tenant's bad pattern is a 400, not a line on the server's stderr


def _pattern(validator: Validator, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """The `pattern` keyword on RE2 instead of `re` (linear time on any input)."""
    if validator.is_type(instance, "string") and not re2.compile(pattern, _QUIET).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _validator(schema: dict[str, Any]) -> Validator:
    base = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})  # type: ignore[no-untyped-call]
    validator: Validator = cls(schema)
    return validator


def _walk(node: Any, depth: int = 0) -> Iterator[tuple[str, Any, int]]:
    """Every (key, value, depth) of every object in `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key), value, depth
            yield from _walk(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)


def schema_problem(schema: dict[str, Any]) -> str | None:
    """Why `schema` cannot be a response schema, or `None` when it can."""
    if len(json.dumps(schema, separators=(",", ":"))) > MAX_SCHEMA_BYTES:
        return f"is larger than {MAX_SCHEMA_BYTES} bytes"
    for key, value, depth in _walk(schema):
        if depth > MAX_SCHEMA_DEPTH:
            return f"nests deeper than {MAX_SCHEMA_DEPTH} levels"
        if key in _REFUSED_KEYWORDS:
            return f"uses {key!r}, which Warren does not support in response schemas"
        if key in ("$ref", "$dynamicRef") and not (isinstance(value, str) and value.startswith("#")):
            return f"has {key} {str(value)[:80]!r}: only references inside the schema ('#...') are allowed"
        if key == "pattern" and isinstance(value, str):
            try:
                re2.compile(value, _QUIET)
            except re2.error:
                return (
                    f"has pattern {value[:80]!r}, which RE2 cannot compile (no backreferences or lookaround)"
                )
    try:
        _validator(schema).check_schema(schema)
    except SchemaError as exc:
        return f"is not a valid JSON Schema: {exc.message[:200]}"
    return None


def validate_answer(text: str, config: GenerationConfig) -> None:
    """Check that `text` is one JSON value matching `config.response_schema` (when JSON was asked).

    CPU-bound for large answers or schemas: callers on the event loop run it in a worker thread.

    Raises:
        StructuredOutputError: the answer is not JSON, or does not match the schema.
    """
    if not config.wants_json:
        return
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StructuredOutputError(f"the model's answer is not JSON: {str(exc)[:200]}") from None
    if config.response_schema is None:
        return
    try:
        error = jsonschema.exceptions.best_match(_validator(config.response_schema).iter_errors(value))
    except RecursionError:
        raise StructuredOutputError("the response schema refers to itself without end") from None
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(the root)"
        raise StructuredOutputError(
            f"the model's answer does not match the response schema at {where}: {error.message[:300]}"
        )
