"""Model settings through the real app: refused by name before anything is stored, or honoured (issue 15).

The scripted model (`scripted:echo` answers with the user's text) stands for a provider with no
sampling to steer: it refuses `tool_choice`, `thinking_level` and `safety_settings` by name, takes
a seed, and its answer is held to a response schema like any provider's. The vendors' own
pass-through is tested against their fakes in `tests/unit/gateway/test_generation_settings.py`
and end to end in `tests/conformance/test_model_settings_e2e.py`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api_app.conftest import App
from tests.unit.api_app.refusal_checks import assert_refused

INTERACTIONS = "/v1beta/interactions"
CITY = {
    "type": "object",
    "properties": {"city": {"type": "string", "pattern": "^[A-Z]"}},
    "required": ["city"],
}


def _echo(text: str = "hi", **fields: Any) -> dict[str, Any]:
    return {"model": "scripted:echo", "input": text, **fields}


def _json(schema: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "text", "mime_type": "application/json"}
    return {**found, "schema": schema} if schema is not None else found


def _nest(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "array", "items": schema}
    return schema


REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    # (name, body, field path, a word the message must carry)
    (
        "tool_choice",
        _echo(generation_config={"tool_choice": "any"}),
        "generation_config.tool_choice",
        "scripted",
    ),
    (
        "thinking_level",
        _echo(generation_config={"thinking_level": "high"}),
        "generation_config.thinking_level",
        "scripted",
    ),
    (
        "safety_settings",
        _echo(safety_settings=[{"type": "harassment", "threshold": "block_none"}]),
        "safety_settings",
        "scripted",
    ),
    (
        "a repeated safety category",
        _echo(safety_settings=[{"type": "harassment", "threshold": "off"}] * 2),
        "safety_settings[1].type",
        "twice",
    ),
    ("image output", _echo(response_format={"type": "image"}), "response_format.type", "text only"),
    (
        "audio in a list",
        _echo(response_format=[_json(), {"type": "audio"}]),
        "response_format[1].type",
        "text only",
    ),
    ("two text formats", _echo(response_format=[_json(), _json()]), "response_format[1]", "one text format"),
    ("a legacy mime type", _echo(response_mime_type="text/csv"), "response_mime_type", "application/json"),
    (
        "conflicting mime types",
        _echo(response_format=_json(), response_mime_type="text/plain"),
        "response_mime_type",
        "conflicts",
    ),
    (
        "a schema on plain text",
        _echo(response_format={"type": "text", "mime_type": "text/plain", "schema": CITY}),
        "response_format.schema",
        "application/json",
    ),
    (
        "an invalid schema",
        _echo(response_format=_json({"type": "nope"})),
        "response_format.schema",
        "JSON Schema",
    ),
    (
        "a remote $ref",
        _echo(response_format=_json({"$ref": "https://example.com/s.json"})),
        "response_format.schema",
        "inside the schema",
    ),
    (
        "a backtracking pattern",
        _echo(response_format=_json({"type": "string", "pattern": "(a)\\1"})),
        "response_format.schema",
        "RE2",
    ),
    (
        "patternProperties",
        _echo(response_format=_json({"type": "object", "patternProperties": {"^a": {}}})),
        "response_format.schema",
        "patternProperties",
    ),
    (
        "a schema nested too deeply",
        _echo(response_format=_json(_nest(40))),
        "response_format.schema",
        "deeper",
    ),
]


async def test_refused_settings_are_400_naming_the_field_and_store_nothing(api: App) -> None:
    await assert_refused(
        api, [(name, INTERACTIONS, body, field, word) for name, body, field, word in REFUSED]
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"generation_config": {"seed": "7"}},
        {"generation_config": {"seed": True}},
        {"generation_config": {"seed": 2**40}},
        {"generation_config": {"temperature": "0.5"}},
        {"generation_config": {"max_output_tokens": 0}},
        {"generation_config": {"thinking_level": "huge"}},
        {"generation_config": {"tool_choice": "sometimes"}},
    ],
)
async def test_settings_are_parsed_strictly(api: App, fields: dict[str, Any]) -> None:
    """Types as the SDK declares them, no coercion: a seed is a JSON integer in int32, never "7" or true."""
    response = await api.a.post(INTERACTIONS, json=_echo(**fields))
    assert response.status_code == 400, response.text
    [name] = fields["generation_config"]
    assert response.json()["error"]["message"].startswith(f"generation_config.{name}")


async def test_a_seed_is_honoured_by_the_scripted_model(api: App) -> None:
    """A script is deterministic, so every seed gives the same answer: the seed is kept and echoed."""
    response = await api.a.post(INTERACTIONS, json=_echo("same", generation_config={"seed": 42}))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"
    assert response.json()["generation_config"] == {"seed": 42}


@pytest.mark.parametrize(
    "fields",
    [
        {"response_format": _json(CITY)},
        {"response_format": [_json(CITY)]},
        {"response_mime_type": "application/json"},
    ],
)
async def test_an_answer_that_matches_completes(api: App, fields: dict[str, Any]) -> None:
    response = await api.a.post(INTERACTIONS, json=_echo('{"city": "Paris"}', **fields))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed", body.get("errors")
    assert body["steps"][-1]["content"][0]["text"] == '{"city": "Paris"}'


@pytest.mark.parametrize(
    ("text", "fields", "words"),
    [
        ('{"city": "paris"}', {"response_format": _json(CITY)}, "at city"),
        ('{"town": "Paris"}', {"response_format": _json(CITY)}, "'city' is a required property"),
        ("Paris", {"response_mime_type": "application/json"}, "not JSON"),
        ("Paris", {"response_format": _json()}, "not JSON"),
    ],
)
async def test_an_answer_that_does_not_match_fails_the_interaction(
    api: App, text: str, fields: dict[str, Any], words: str
) -> None:
    """The answer is checked before the interaction completes; the text stays as the model's output."""
    response = await api.a.post(INTERACTIONS, json=_echo(text, **fields))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "failed"
    [error] = body["errors"]
    assert error["code"] == "invalid_structured_output"
    assert words in error["message"]
    outputs = [s for s in body["steps"] if s["type"] == "model_output" and s.get("content")]
    assert outputs[0]["content"][0]["text"] == text
    again = await api.a.get(f"{INTERACTIONS}/{body['id']}")
    assert again.json()["errors"][0]["code"] == "invalid_structured_output"


async def test_plain_text_formats_need_no_json(api: App) -> None:
    """`text/plain` (new or legacy field) asks for nothing beyond text: any answer completes."""
    plain = {"type": "text", "mime_type": "text/plain"}
    for fields in ({"response_format": plain}, {"response_mime_type": "text/plain"}):
        response = await api.a.post(INTERACTIONS, json=_echo("not json", **fields))
        assert response.json()["status"] == "completed", response.text
