"""Malformed requests to the real app: 4xx naming the exact field, and nothing written to the store.

Issue 3, acceptance "Bad input"; DESIGN.md section 9. Unlike tests/unit/api/test_wire_malformed.py
(the wire models on a bare app), these go through the services too: unknown models, agents and
previous interactions, foreign call ids. Every request carries an `Idempotency-Key`, so the table also
proves that a failed create releases its key.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from orchestrator.api.wire.error_body import BAD_REQUEST_TYPE
from tests.unit.api_app.conftest import App

INTERACTIONS, AGENTS, ENVIRONMENTS = "/v1beta/interactions", "/v1beta/agents", "/v1beta/environments"
DONE = "<a completed interaction>"
"""Stands for the id of an interaction made before the table runs."""


def _model(**fields: Any) -> dict[str, Any]:
    return {"model": "scripted:echo", "input": "hi", **fields}


def _agent(**fields: Any) -> dict[str, Any]:
    return {"agent": "default", "input": "hi", **fields}


CASES: list[tuple[str, str, Any, int, str | None]] = [
    # (name, route, body, status, field); field None: no field to blame (413)
    ("unknown top-level field", INTERACTIONS, _model(colour="red"), 400, "colour"),
    ("both model and agent", INTERACTIONS, {"model": "scripted:echo", "agent": "default"}, 400, "agent"),
    ("neither model nor agent", INTERACTIONS, {"input": "x"}, 400, "agent"),
    ("model not a string", INTERACTIONS, {"model": 5, "input": "x"}, 400, "model"),
    ("stream not a bool", INTERACTIONS, _model(stream="yes please"), 400, "stream"),
    ("input a number", INTERACTIONS, _model(input=5), 400, "input"),
    ("unknown step type", INTERACTIONS, _model(input=[{"type": "foo"}]), 400, "input[0].type"),
    (
        "function_result without call_id",
        INTERACTIONS,
        _model(input=[{"type": "user_input", "content": []}, {"type": "function_result", "result": {}}]),
        400,
        "input[1].call_id",
    ),
    (
        "text content without text",
        INTERACTIONS,
        _model(input=[{"type": "user_input", "content": [{"type": "text"}]}]),
        400,
        "input[0].content[0].text",
    ),
    ("unknown tool type", INTERACTIONS, _model(tools=[{"type": "teleport"}]), 400, "tools[0].type"),
    (
        "function tool without name",
        INTERACTIONS,
        _model(tools=[{"type": "function", "name": "ok"}, {"type": "function"}]),
        400,
        "tools[1].name",
    ),
    (
        "source target with ..",
        INTERACTIONS,
        _agent(environment={"type": "remote", "sources": [{"type": "inline", "target": "a/../../etc"}]}),
        400,
        "environment.sources[0].target",
    ),
    (
        "source target absolute",
        INTERACTIONS,
        _agent(environment={"type": "remote", "sources": [{"type": "inline", "target": "/etc/passwd"}]}),
        400,
        "environment.sources[0].target",
    ),
    (
        "source target with NUL",
        INTERACTIONS,
        _agent(environment={"type": "remote", "sources": [{"type": "inline", "target": "a\u0000b"}]}),
        400,
        "environment.sources[0].target",
    ),
    ("body is an array", INTERACTIONS, [], 400, "body"),
    ("body is a string", INTERACTIONS, "model", 400, "body"),
    ("unknown model provider", INTERACTIONS, _model(model="nope:thing"), 404, "model"),
    ("agent without a sandbox backend", INTERACTIONS, _agent(), 400, "agent"),
    (
        "unknown previous interaction",
        INTERACTIONS,
        _model(previous_interaction_id="int_nope"),
        404,
        "previous_interaction_id",
    ),
    (
        "function_result for a call never made",
        INTERACTIONS,
        _model(
            previous_interaction_id=DONE,
            input=[{"type": "function_result", "call_id": "call_nope", "result": {"ok": True}}],
        ),
        400,
        "input[0].call_id",
    ),
    ("oversized interaction", INTERACTIONS, _model(input="x" * (80 * 1024)), 413, None),
    ("agent id with a slash", AGENTS, {"id": "agents/x"}, 400, "id"),
    ("agent unknown field", AGENTS, {"model": "m"}, 400, "model"),
    ("agent tool unknown type", AGENTS, {"tools": [{"type": "computer_use"}]}, 400, "tools[0].type"),
    ("agent description a number", AGENTS, {"description": 7}, 400, "description"),
    ("agent base_environment a list", AGENTS, {"base_environment": []}, 400, "base_environment"),
    ("agent unknown base_agent", AGENTS, {"base_agent": "ghost"}, 404, "base_agent"),
    ("agent redefines default", AGENTS, {"id": "default"}, 409, "id"),
    ("agent id already taken", AGENTS, {"id": "taken"}, 409, "id"),
    ("oversized agent", AGENTS, {"system_instruction": "y" * (80 * 1024)}, 413, None),
    ("environment unknown mode", ENVIRONMENTS, {"mode": "always"}, 400, "mode"),
    ("environment network a number", ENVIRONMENTS, {"network": 0}, 400, "network"),
    ("environment source without type", ENVIRONMENTS, {"sources": [{"target": "a"}]}, 400, "sources[0].type"),
    (
        "environment source target with ..",
        ENVIRONMENTS,
        {"sources": [{"type": "inline", "target": "../../root"}]},
        400,
        "sources[0].target",
    ),
    (
        "environment allowlist entry without domain",
        ENVIRONMENTS,
        {"network": {"allowlist": [{}]}},
        400,
        "network.allowlist[0].domain",
    ),
    (
        "environment copy of an unknown one",
        ENVIRONMENTS,
        {"from_environment": "env_x"},
        404,
        "from_environment",
    ),
]


def test_enough_cases() -> None:
    """The issue asks for at least 30 malformed bodies."""
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES), "case names must be unique"


async def _setup(api: App) -> str:
    """What the semantic cases refer to: a completed interaction and an agent with id `taken`."""
    done = await api.a.post(INTERACTIONS, json=_model(input="setup"))
    assert done.status_code == 200 and done.json()["status"] == "completed", done.text
    taken = await api.a.post(AGENTS, json={"id": "taken"})
    assert taken.status_code == 200, taken.text
    return str(done.json()["id"])


def _fill(body: Any, done_id: str) -> Any:
    if isinstance(body, dict):
        return {k: done_id if v == DONE else v for k, v in body.items()}
    return body


def _check(name: str, response: Any, status: int, field: str | None) -> list[str]:
    """The problems with one answer, so that every case is checked before the test fails."""
    problems: list[str] = []
    if response.status_code != status:
        return [f"{name}: status {response.status_code}, expected {status}: {response.text[:300]}"]
    error = response.json()["error"]
    if field is None:
        if error["code"] != "payload_too_large":
            problems.append(f"{name}: code {error['code']}")
        return problems
    if not error["message"].startswith(f"{field}: "):
        problems.append(f"{name}: message {error['message']!r} does not start with {field!r}")
    details = error.get("details") or [{}]
    if details[0].get("@type") != BAD_REQUEST_TYPE:
        problems.append(f"{name}: details {details!r}")
    elif field not in [v["field"] for v in details[0]["fieldViolations"]]:
        problems.append(f"{name}: {field!r} not in {details[0]['fieldViolations']!r}")
    return problems


async def test_malformed_requests_get_4xx_naming_the_field_and_write_nothing(api: App) -> None:
    done_id = await _setup(api)
    before = await api.settled_counts()
    problems: list[str] = []
    for name, route, body, status, field in CASES:
        headers = {"Idempotency-Key": f"malformed-{uuid.uuid4().hex}"}
        response = await api.a.post(route, json=_fill(body, done_id), headers=headers)
        problems += _check(name, response, status, field)
    assert not problems, "\n".join(problems)
    assert await api.settled_counts() == before, "a refused request wrote to the store"
    assert (await api.a.get("/healthz")).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [("page_size=0", "page_size"), ("page_size=abc", "page_size"), ("page_token=%21garbage", "page_token")],
)
async def test_bad_list_parameters_name_the_parameter(api: App, query: str, field: str) -> None:
    for route in (AGENTS, ENVIRONMENTS):  # interactions have no list route on the wire
        response = await api.a.get(f"{route}?{query}")
        assert response.status_code == 400, response.text
        assert response.json()["error"]["message"].startswith(f"{field}: "), response.text
