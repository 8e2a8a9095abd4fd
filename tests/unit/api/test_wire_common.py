"""The shared wire types: int64, timestamps, relative paths, ids, `to_wire` and SSE framing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from orchestrator.api.wire.agents import AgentList
from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.deltas import TextDelta
from orchestrator.api.wire.environments import Environment
from orchestrator.api.wire.events import StepDelta, encode_sse
from orchestrator.api.wire.interactions import CreateInteraction
from orchestrator.api.wire.scalars import INT64_MAX, Int64, RelativePath, rfc3339
from orchestrator.api.wire.steps import FunctionCallStep


class _Sized(BaseModel):
    size: Int64


class _Placed(BaseModel):
    target: RelativePath


@pytest.mark.parametrize(
    ("raw", "value"), [("0", 0), ("1000", 1000), (1000, 1000), ("+7", 7), (str(INT64_MAX), INT64_MAX)]
)
def test_int64_accepts_string_or_number(raw: object, value: int) -> None:
    """int64 fields take a JSON string or number and always serialize as a string."""
    model = _Sized.model_validate({"size": raw})
    assert model.size == value
    assert model.model_dump(mode="json") == {"size": str(value)}


@pytest.mark.parametrize("raw", ["-1", -1, "1e3", "", " 1", "0x10", True, 1.5, str(INT64_MAX + 1), None])
def test_int64_refuses(raw: object) -> None:
    """Negative, garbage, boolean, fractional and out-of-range values are refused."""
    with pytest.raises(ValidationError):
        _Sized.model_validate({"size": raw})


def test_timestamps_are_rfc3339_utc() -> None:
    """Timestamps go out in UTC with `Z`; sub-second precision only when present; naive means UTC."""
    assert rfc3339(datetime(2026, 5, 20, 10, 0, tzinfo=UTC)) == "2026-05-20T10:00:00Z"
    assert (
        rfc3339(datetime(2026, 5, 20, 12, 0, tzinfo=timezone(timedelta(hours=2)))) == "2026-05-20T10:00:00Z"
    )
    assert rfc3339(datetime(2026, 5, 20, 10, 0, 0, 250000)) == "2026-05-20T10:00:00.25Z"
    env = Environment(id="e", created=datetime(2026, 5, 20, 10, 0, tzinfo=UTC))
    assert to_wire(env) == {"id": "e", "created": "2026-05-20T10:00:00Z"}


@pytest.mark.parametrize("target", ["a.txt", "src/main.py", "a/..b/c", ".hidden", "dir/"])
def test_relative_path_ok(target: str) -> None:
    """Ordinary relative paths, including names that merely contain dots, are accepted."""
    assert _Placed(target=target).target == target


@pytest.mark.parametrize(
    "target", ["/etc/passwd", "..", "a/../b", "a\\..\\b", "\\\\server\\x", "C:/x", "a\x00b"]
)
def test_relative_path_refused(target: str) -> None:
    """Absolute paths, `..` segments and NUL are refused."""
    with pytest.raises(ValidationError):
        _Placed(target=target)


def test_to_wire_omits_unset_but_keeps_nulls_in_free_json() -> None:
    """Unset fields are omitted; a null inside function arguments is data and stays."""
    step = FunctionCallStep(id="c", name="f", arguments={"x": None})
    assert to_wire(step) == {"type": "function_call", "id": "c", "name": "f", "arguments": {"x": None}}
    assert to_wire(AgentList()) == {}


def test_encode_sse() -> None:
    """Events are framed as `event:`, `id:` and one `data:` line with the JSON; `[DONE]` closes."""
    event = StepDelta(event_id="e3", index=0, delta=TextDelta(text="a\nb"))
    frame = encode_sse(event)
    assert frame.endswith("\n\n")
    lines = frame.strip("\n").split("\n")
    assert lines[:2] == ["event: step.delta", "id: e3"]
    assert json.loads(lines[2].removeprefix("data: ")) == {
        "event_type": "step.delta",
        "event_id": "e3",
        "index": 0,
        "delta": {"type": "text", "text": "a\nb"},
    }
    assert encode_sse(None) == "data: [DONE]\n\n"


def test_openapi_schema_has_field_docs() -> None:
    """Field docstrings reach the JSON schema (and so the OpenAPI document)."""
    schema = CreateInteraction.model_json_schema()
    assert schema["properties"]["previous_interaction_id"]["description"].startswith("Continue")
    assert schema["additionalProperties"] is False
