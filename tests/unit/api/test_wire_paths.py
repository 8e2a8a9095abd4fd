"""`field_path` and `strip_union_tags`: pydantic locations become the JSON paths a client wrote."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.api.wire.interactions import CreateInteraction
from orchestrator.api.wire.paths import field_path, strip_union_tags


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        ((), "body"),
        (("model",), "model"),
        (("input", 1, "call_id"), "input[1].call_id"),
        (("tools", 0, "type"), "tools[0].type"),
        (("input", 0, "content", 2, "text"), "input[0].content[2].text"),
        ((3,), "[3]"),
        (("labels", "a.b"), 'labels["a.b"]'),
        (("headers", "X-Api-Key"), 'headers["X-Api-Key"]'),
        (("env", 'we"ird'), 'env["we\\"ird"]'),
        (("env", "GH_TOKEN", "credential"), "env.GH_TOKEN.credential"),
    ],
)
def test_field_path(loc: tuple[int | str, ...], path: str) -> None:
    """Indexes in brackets, identifiers dotted, other keys quoted, the empty location is `body`."""
    assert field_path(loc) == path


def _first_loc(body: object) -> tuple[int | str, ...]:
    with pytest.raises(ValidationError) as info:
        CreateInteraction.model_validate(body)
    return tuple(info.value.errors()[0]["loc"])


@pytest.mark.parametrize(
    ("body", "raw", "clean"),
    [
        (
            {"agent": "a", "input": [{"type": "user_input"}, {"type": "function_result", "result": {}}]},
            ("input", "steps", 1, "function_result", "call_id"),
            ("input", 1, "call_id"),
        ),
        (
            {"agent": "a", "input": {"type": "text"}},
            ("input", "content", "text", "text"),
            ("input", "text"),
        ),
        (
            {"agent": "a", "environment": {"type": "remote", "network": {"allowlist": [{}]}}},
            ("environment", "object", "network", "object", "allowlist", "array", 0, "domain"),
            ("environment", "network", "allowlist", 0, "domain"),
        ),
        (
            {"agent": "a", "environment": {"type": "remote", "env": {"text": {"x": 1}}}},
            ("environment", "object", "env", "text", "object", "x"),
            ("environment", "env", "text", "x"),
        ),
    ],
)
def test_strip_union_tags(body: object, raw: tuple[int | str, ...], clean: tuple[int | str, ...]) -> None:
    """Tags are removed by walking the schema, so a field that shares a tag's name (`text`) survives."""
    assert _first_loc(body) == raw
    assert strip_union_tags(CreateInteraction.__pydantic_core_schema__, raw) == clean


def test_strip_keeps_unknown_tail() -> None:
    """Where the schema cannot be followed, the rest of the location is kept as reported."""
    schema = CreateInteraction.__pydantic_core_schema__
    assert strip_union_tags(schema, ("nope", "deeper", 1)) == ("nope", "deeper", 1)
