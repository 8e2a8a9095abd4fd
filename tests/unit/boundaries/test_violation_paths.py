"""A 400's field violations name the exact field the client wrote, whatever pydantic reported
(issue 21, mutation follow-up).

The field path is the error body's contract: a client (or a human) finds the bad field by it. The
older tests formatted paths and stripped tags from hand-written locations; here real validation
errors go through `validation_violations` whole: tag errors point at the discriminator, unknown
fields, malformed JSON, query and path parameters, duplicates and the cap. A small model of the
test's own covers what Warren's wire models do not hold today (an aliased field over a tagged union).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from orchestrator.api.wire.error_body import FieldViolation
from orchestrator.api.wire.interactions import CreateInteraction
from orchestrator.api.wire.paths import strip_union_tags, validation_violations

SCHEMA = CreateInteraction.__pydantic_core_schema__


def _errors(model: type[BaseModel], body: object) -> list[dict[str, Any]]:
    """The errors as FastAPI reports a body's: each location starts with `body`."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(body)
    return [{**error, "loc": ("body", *error["loc"])} for error in info.value.errors()]


def _violations(body: object) -> list[FieldViolation]:
    return validation_violations(_errors(CreateInteraction, body), SCHEMA)


def test_an_unknown_tag_points_at_the_discriminator_and_lists_the_tags() -> None:
    secret = "sk-pasted-secret"
    (violation,) = _violations({"agent": "a", "input": [{"type": "user_input"}, {"type": secret}]})
    assert violation.field == "input[1].type"
    assert violation.description.startswith("unknown type; expected one of 'user_input', 'model_output'")
    assert secret not in violation.description, "the tag is request content: never echoed"


def test_a_missing_tag_is_a_required_discriminator() -> None:
    assert _violations({"agent": "a", "input": [{"text": "x"}]}) == [
        FieldViolation(field="input[0].type", description="Field required")
    ]


def test_an_unknown_field_is_named() -> None:
    assert _violations({"agent": "a", "input": "hi", "nope": 1}) == [
        FieldViolation(field="nope", description="unknown field")
    ]


def test_other_errors_keep_pydantic_s_wording_at_the_clean_path() -> None:
    body = {"agent": "a", "input": [{"type": "user_input", "content": [{"type": "text", "text": 5}]}]}
    assert _violations(body) == [
        FieldViolation(field="input[0].content[0].text", description="Input should be a valid string")
    ]


def test_malformed_json_is_the_body_s_fault() -> None:
    error = {
        "type": "json_invalid",
        "loc": ("body", 17),
        "msg": "JSON decode error",
        "ctx": {"error": "Expecting value"},
    }
    assert validation_violations([error], SCHEMA) == [
        FieldViolation(field="body", description="malformed JSON: Expecting value")
    ]
    bare = {"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error"}
    assert validation_violations([bare], SCHEMA) == [
        FieldViolation(field="body", description="malformed JSON: cannot parse the body")
    ]


def test_an_error_without_a_message_or_location() -> None:
    assert validation_violations([{"type": "value_error"}]) == [
        FieldViolation(field="body", description="invalid value")
    ]


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("query", "page_size"), "page_size"),
        (("path", "interaction_id"), "interaction_id"),
        (("header", "X-Api-Key"), '["X-Api-Key"]'),
        (("query",), "query"),
        (("elsewhere", "x"), "elsewhere.x"),
        (("body",), "body"),
    ],
)
def test_parameter_sources(loc: tuple[str, ...], field: str) -> None:
    error = {"type": "missing", "loc": loc, "msg": "Field required"}
    assert validation_violations([error], SCHEMA) == [
        FieldViolation(field=field, description="Field required")
    ]


def test_without_a_schema_tags_are_kept() -> None:
    errors = _errors(CreateInteraction, {"agent": "a", "input": [{"type": "function_result", "result": {}}]})
    assert validation_violations(errors)[0].field == "input.steps[0].function_result.call_id"
    assert validation_violations(errors, SCHEMA)[0].field == "input[0].call_id"


def test_duplicates_are_dropped_and_the_list_is_capped() -> None:
    one = {"type": "missing", "loc": ("body", "a"), "msg": "Field required"}
    assert validation_violations([one, one]) == [FieldViolation(field="a", description="Field required")]
    many = [{"type": "missing", "loc": ("body", f"f{i}"), "msg": "Field required"} for i in range(25)]
    assert [v.field for v in validation_violations(many)] == [f"f{i}" for i in range(20)]


# ---- the walk over a schema of the test's own --------------------------------------------------


class _A(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int


class _B(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    m: int


_AB = Annotated[_A, Tag("ta")] | Annotated[_B, Tag("tb")]


class _Outer(BaseModel):
    tagged: _AB = Field(validation_alias="by_alias")
    items: list[_AB] = []
    pair: tuple[int, _AB] | None = None
    more: tuple[_AB, ...] = ()
    each: set[_AB] = set()
    frozen: frozenset[_AB] = frozenset()
    named: dict[str, _AB] = {}
    numbered: dict[int, _AB] = {}


OUTER = _Outer.__pydantic_core_schema__
BAD = {"n": "x"}


@pytest.mark.parametrize(
    ("field", "value", "clean"),
    [
        ("by_alias", BAD, ("by_alias",)),
        ("items", [{"n": 1}, BAD], ("items", 1)),
        ("pair", [1, BAD], ("pair", 1)),
        ("more", [{"n": 1}, {"n": 2}, BAD], ("more", 2)),
        ("each", [{"n": 1}, BAD], ("each", 1)),
        ("frozen", [{"n": 1}, BAD], ("frozen", 1)),
        ("named", {"k": BAD}, ("named", "k")),
        ("numbered", {5: BAD}, ("numbered", 5)),
    ],
)
def test_tags_are_stripped_through_every_container(
    field: str, value: object, clean: tuple[int | str, ...]
) -> None:
    """Each member's error loses its tag (`ta`, `tb`) and keeps the aliased name, index or key."""
    body = {"by_alias": {"n": 1}, field: value}
    stripped = [strip_union_tags(OUTER, error["loc"][1:]) for error in _errors(_Outer, body)]
    assert stripped == [(*clean, "n"), (*clean, "m"), (*clean, "n")]


def test_a_position_past_a_fixed_tuple_keeps_the_rest() -> None:
    assert strip_union_tags(OUTER, ("pair", 2, "ta", "n")) == ("pair", 2, "ta", "n")
    assert strip_union_tags(OUTER, ("pair", 5, "ta", "n")) == ("pair", 5, "ta", "n")


# ---- the walk through every wrapper a core schema may hold (synthetic schemas) --------------------

_MEMBER = {"type": "model-fields", "fields": {"n": {"type": "model-field", "schema": {"type": "int"}}}}
_TAGGED = {"type": "tagged-union", "choices": {"ta": _MEMBER}}
_LIST = {"type": "list", "items_schema": _TAGGED}
_DECOY = {"type": "list", "items_schema": {"type": "int"}}
"""What a wrong branch leads to: a list of ints, where the walk stops and keeps the tag."""

WRAPPED = {
    "json-or-python": {"type": "json-or-python", "json_schema": _LIST, "python_schema": _DECOY},
    "lax-or-strict": {"type": "lax-or-strict", "lax_schema": _LIST, "strict_schema": _DECOY},
    "chain": {"type": "chain", "steps": [_DECOY, {"type": "str"}, _LIST]},
    "function-before": {"type": "function-before", "schema": _LIST},
    "definitions": {
        "type": "definitions",
        "schema": {"type": "definition-ref", "schema_ref": "L"},
        "definitions": [{**_LIST, "ref": "L"}],
    },
    "union labels": {"type": "list", "items_schema": {"type": "union", "choices": [_DECOY, (_MEMBER, "ta")]}},
}


_NESTED = {
    "type": "model-fields",
    "fields": {"x": {"type": "model-field", "schema": {"type": "tagged-union", "choices": {"tb": _MEMBER}}}},
}


def test_a_labelled_union_member_is_walked_into() -> None:
    """The member with the label is followed, so tags deeper inside it are stripped as well."""
    union = {"type": "union", "choices": [(_DECOY, "tz"), (_NESTED, "ta"), (_MEMBER, "tc")]}
    assert strip_union_tags(union, ("ta", "x", "tb", "n")) == ("x", "n")


def test_a_repeated_tuple_item_in_the_middle_is_not_guessed() -> None:
    """`tuple[int, *tuple[A, ...], B]`: a position past the repeated item may be the last one, so
    only positions before it are followed."""
    tagged_b = {"type": "tagged-union", "choices": {"tb": _MEMBER}}
    schema = {"type": "tuple", "items_schema": [{"type": "int"}, _TAGGED, tagged_b], "variadic_item_index": 1}
    assert strip_union_tags(schema, (1, "ta", "n")) == (1, "n")
    assert strip_union_tags(schema, (2, "tb", "n")) == (2, "n")
    assert strip_union_tags(schema, (3, "ta", "n")) == (3, "ta", "n")


@pytest.mark.parametrize("schema", WRAPPED.values(), ids=WRAPPED.keys())
def test_every_wrapper_is_walked_through(schema: dict[str, Any]) -> None:
    assert strip_union_tags(schema, (1, "ta", "n")) == (1, "n")


def test_where_the_walk_stops() -> None:
    """An empty chain or an unknown field stops the walk: the rest is kept. At a union a name is
    always a member's label (a plain union labels members by class name): dropped, and the rest kept."""
    assert strip_union_tags({"type": "chain", "steps": []}, (1, "ta")) == (1, "ta")
    assert strip_union_tags({"type": "model-fields", "fields": {}}, ("x", "ta")) == ("x", "ta")
    for union in ({"type": "union", "choices": [(_MEMBER, "tb")]}, {"type": "union", "choices": [_MEMBER]}):
        assert strip_union_tags(union, ("ta", "n", "ta")) == ("n", "ta")


def test_a_map_key_with_a_backslash_or_quote_is_escaped() -> None:
    assert validation_violations([{"type": "missing", "loc": ("body", "env", 'a\\b"c')}]) == [
        FieldViolation(field='env["a\\\\b\\"c"]', description="invalid value")
    ]


class _KindA(BaseModel):
    Xkind: Literal["a"]
    n: int


class _KindB(BaseModel):
    Xkind: Literal["b"]
    m: int


def _pick(value: Any) -> str | None:
    return value.get("k") if isinstance(value, dict) else None


class _Discriminated(BaseModel):
    by_field: _KindA | _KindB = Field(discriminator="Xkind")
    by_function: (
        Annotated[Annotated[_KindA, Tag("a")] | Annotated[_KindB, Tag("b")], Discriminator(_pick)] | None
    ) = None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"by_field": {}}, "by_field.Xkind"),
        ({"by_field": {"Xkind": "zz"}}, "by_field.Xkind"),
        ({"by_field": {"Xkind": "a", "n": 1}, "by_function": {}}, "by_function"),
        ({"by_field": {"Xkind": "a", "n": 1}, "by_function": {"k": "zz"}}, "by_function"),
    ],
)
def test_tag_errors_name_the_discriminator_field_verbatim(body: object, field: str) -> None:
    """A field discriminator is appended as written; a function discriminator names no field."""
    errors = _errors(_Discriminated, body)
    assert [v.field for v in validation_violations(errors, _Discriminated.__pydantic_core_schema__)] == [
        field
    ]
