"""Malformed bodies get 400 `invalid_request` naming the exact JSON field, in message and details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orchestrator.api.errors import install_error_handlers
from orchestrator.api.wire.agents import Agent
from orchestrator.api.wire.environments import CreateEnvironmentRequest
from orchestrator.api.wire.error_body import BAD_REQUEST_TYPE
from orchestrator.api.wire.interactions import CreateInteraction

INTERACTIONS, AGENTS, ENVIRONMENTS = "/v1beta/interactions", "/v1beta/agents", "/v1beta/environments"


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post(INTERACTIONS)
    async def create_interaction(body: CreateInteraction) -> dict[str, str]:
        return {}

    @app.post(AGENTS)
    async def create_agent(body: Agent) -> dict[str, str]:
        return {}

    @app.post(ENVIRONMENTS)
    async def create_environment(body: CreateEnvironmentRequest) -> dict[str, str]:
        return {}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of a tiny app that uses the wire models as bodies."""
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _agent(**fields: Any) -> dict[str, Any]:
    return {"agent": "default", **fields}


def _env(**fields: Any) -> dict[str, Any]:
    return _agent(environment={"type": "remote", **fields})


CASES: list[tuple[str, str, Any, str]] = [
    # (name, route, body, field)
    ("unknown top-level field", INTERACTIONS, _agent(colour="red"), "colour"),
    ("both model and agent", INTERACTIONS, {"model": "scripted:echo", "agent": "a"}, "agent"),
    ("scripted model a path", INTERACTIONS, {"model": "scripted:/etc/passwd"}, "model"),
    (
        "model name too long",
        INTERACTIONS,
        _agent(agent_config={"model": "openai:" + "m" * 130}),
        "agent_config.model",
    ),
    ("neither model nor agent", INTERACTIONS, {"input": "x"}, "agent"),
    (
        "agent_config with model",
        INTERACTIONS,
        {"model": "scripted:echo", "agent_config": {"type": "antigravity"}},
        "agent_config",
    ),
    ("generation_config with agent", INTERACTIONS, _agent(generation_config={}), "generation_config"),
    ("model not a string", INTERACTIONS, {"model": 5}, "model"),
    ("background not a bool", INTERACTIONS, _agent(background="maybe"), "background"),
    ("input a number", INTERACTIONS, _agent(input=5), "input"),
    ("unknown step type", INTERACTIONS, _agent(input=[{"type": "foo"}]), "input[0].type"),
    ("step without type", INTERACTIONS, _agent(input=[{"content": []}]), "input[0].type"),
    (
        "function_result without call_id",
        INTERACTIONS,
        _agent(input=[{"type": "user_input"}, {"type": "function_result", "result": {}}]),
        "input[1].call_id",
    ),
    (
        "function_result result a number",
        INTERACTIONS,
        _agent(input=[{"type": "function_result", "call_id": "c", "result": 3}]),
        "input[0].result",
    ),
    (
        "function_call arguments a list",
        INTERACTIONS,
        _agent(input=[{"type": "function_call", "id": "c", "name": "f", "arguments": []}]),
        "input[0].arguments",
    ),
    (
        "unknown field inside a step",
        INTERACTIONS,
        _agent(input=[{"type": "user_input", "content": [], "extra": 1}]),
        "input[0].extra",
    ),
    (
        "bad content inside a step",
        INTERACTIONS,
        _agent(input=[{"type": "user_input", "content": [{"type": "text"}]}]),
        "input[0].content[0].text",
    ),
    ("single content missing text", INTERACTIONS, _agent(input={"type": "text"}), "input.text"),
    ("unknown content type", INTERACTIONS, _agent(input={"type": "hologram"}), "input.type"),
    (
        "bad image mime type in content list",
        INTERACTIONS,
        _agent(input=[{"type": "text", "text": "a"}, {"type": "image", "mime_type": "image/svg"}]),
        "input[1].mime_type",
    ),
    ("unknown tool type", INTERACTIONS, _agent(tools=[{"type": "teleport"}]), "tools[0].type"),
    ("tools not a list", INTERACTIONS, _agent(tools={"type": "code_execution"}), "tools"),
    (
        "function tool without name",
        INTERACTIONS,
        _agent(tools=[{"type": "code_execution"}, {"type": "function"}]),
        "tools[1].name",
    ),
    ("environment a number", INTERACTIONS, _agent(environment=42), "environment"),
    ("environment wrong type tag", INTERACTIONS, _agent(environment={"type": "local"}), "environment.type"),
    (
        "target with ..",
        INTERACTIONS,
        _env(sources=[{"type": "inline", "target": "a/../../etc"}]),
        "environment.sources[0].target",
    ),
    (
        "absolute target",
        INTERACTIONS,
        _env(sources=[{"type": "inline", "target": "/etc/passwd"}]),
        "environment.sources[0].target",
    ),
    (
        "target with NUL",
        INTERACTIONS,
        _env(sources=[{"type": "inline", "target": "a\u0000b"}]),
        "environment.sources[0].target",
    ),
    ("unknown source type", INTERACTIONS, _env(sources=[{"type": "ftp"}]), "environment.sources[0].type"),
    ("env value a number", INTERACTIONS, _env(env={"LOG_LEVEL": 3}), "environment.env.LOG_LEVEL"),
    ("env var unknown key", INTERACTIONS, _env(env={"A": {"secret": "x"}}), "environment.env.A.secret"),
    ("network wrong string", INTERACTIONS, _env(network="open"), "environment.network"),
    ("network wrong shape", INTERACTIONS, _env(network={"allow": []}), "environment.network.allowlist"),
    (
        "allowlist entry without domain",
        INTERACTIONS,
        _env(network={"allowlist": [{}]}),
        "environment.network.allowlist[0].domain",
    ),
    ("allowlist a number", INTERACTIONS, _env(network={"allowlist": 1}), "environment.network.allowlist"),
    (
        "negative int64 string",
        INTERACTIONS,
        _agent(agent_config={"type": "antigravity", "max_total_tokens": "-5"}),
        "agent_config.max_total_tokens",
    ),
    (
        "garbage int64 string",
        INTERACTIONS,
        _agent(agent_config={"type": "antigravity", "max_total_tokens": "12abc"}),
        "agent_config.max_total_tokens",
    ),
    (
        "negative int64 number",
        INTERACTIONS,
        _agent(agent_config={"type": "antigravity", "max_total_tokens": -1}),
        "agent_config.max_total_tokens",
    ),
    (
        "int64 overflow",
        INTERACTIONS,
        _agent(agent_config={"type": "antigravity", "max_total_tokens": "99999999999999999999"}),
        "agent_config.max_total_tokens",
    ),
    (
        "unknown agent_config type",
        INTERACTIONS,
        _agent(agent_config={"type": "deep-research"}),
        "agent_config.type",
    ),
    (
        "bad response_format",
        INTERACTIONS,
        _agent(response_format={"type": "text", "mime_type": "x/y"}),
        "response_format.mime_type",
    ),
    ("label value not a string", INTERACTIONS, _agent(labels={"team": 1}), "labels.team"),
    ("label key with a dot", INTERACTIONS, _agent(labels={"a.b": 1}), 'labels["a.b"]'),
    ("body is an array", INTERACTIONS, [], "body"),
    ("agent id with a slash", AGENTS, {"id": "agents/x"}, "id"),
    ("agent unknown field", AGENTS, {"id": "x", "model": "m"}, "model"),
    ("agent tool unknown type", AGENTS, {"tools": [{"type": "computer_use"}]}, "tools[0].type"),
    ("agent base_environment a list", AGENTS, {"base_environment": []}, "base_environment"),
    (
        "agent max_total_tokens a bool",
        AGENTS,
        {"agent_config": {"type": "antigravity", "max_total_tokens": True}},
        "agent_config.max_total_tokens",
    ),
    ("environment unknown mode", ENVIRONMENTS, {"mode": "always"}, "mode"),
    ("environment network number", ENVIRONMENTS, {"network": 0}, "network"),
    (
        "environment fork with sources",
        ENVIRONMENTS,
        {"from_environment": "e", "sources": [{"type": "inline"}]},
        "sources",
    ),
    ("environment source without type", ENVIRONMENTS, {"sources": [{"target": "a"}]}, "sources[0].type"),
    (
        "environment absolute windows target",
        ENVIRONMENTS,
        {"sources": [{"type": "inline", "target": "C:\\x"}]},
        "sources[0].target",
    ),
    (
        "environment transform a string",
        ENVIRONMENTS,
        {"network": {"allowlist": [{"domain": "d", "transform": "h"}]}},
        "network.allowlist[0].transform",
    ),
]


def test_enough_cases() -> None:
    """The brief asks for at least 30 malformed bodies."""
    assert len(CASES) >= 30


@pytest.mark.parametrize(("route", "body", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_malformed_body(client: httpx.AsyncClient, route: str, body: Any, field: str) -> None:
    """Status 400, code `invalid_request`, the message starts with the path, details list it."""
    response = await client.post(route, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(f"{field}: "), error["message"]
    (detail,) = error["details"]
    assert detail["@type"] == BAD_REQUEST_TYPE
    assert field in [v["field"] for v in detail["fieldViolations"]], detail


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    """A body that is not JSON is blamed on `body`."""
    response = await client.post(
        INTERACTIONS, content=b'{"agent": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith("body: malformed JSON")
    assert error["details"][0]["fieldViolations"][0]["field"] == "body"


async def test_missing_body(client: httpx.AsyncClient) -> None:
    """No body at all is blamed on `body`."""
    response = await client.post(INTERACTIONS)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("body: ")


async def test_valid_bodies_pass(client: httpx.AsyncClient) -> None:
    """The table's routes accept a valid body, so the 400s above come from the bad fields."""
    for route, body in (
        (INTERACTIONS, _env(network="disabled", sources=[{"type": "inline", "target": "a/b.txt"}])),
        (AGENTS, {"id": "repo-fixer", "agent_config": {"type": "antigravity", "max_total_tokens": "10"}}),
        (ENVIRONMENTS, {}),
    ):
        response = await client.post(route, json=body)
        assert response.status_code == 200, response.text
