"""What the google-genai 3.6.1 SDK actually sends parses with Warren's request models."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from google import genai

from orchestrator.api.wire.agents import Agent
from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.environments import CreateEnvironmentRequest
from orchestrator.api.wire.interactions import CreateInteraction
from orchestrator.api.wire.network import EgressAllowlist

ENVIRONMENT = {
    "type": "remote",
    "network": {"allowlist": [{"domain": "pypi.org", "transform": [{"X-A": "1"}], "credential": "c1"}]},
    "sources": [
        {"type": "inline", "content": "print(1)", "target": "src/main.py"},
        {"type": "repository", "source": "github.com/acme/app", "target": "app"},
    ],
    "env": {"LOG_LEVEL": "debug", "GH_TOKEN": {"credential": "cred-123"}, "X": {"value": "y"}},
    "mode": "on_demand",
}
TOOLS = [
    {"type": "function", "name": "get_weather", "description": "w", "parameters": {"type": "object"}},
    {"type": "code_execution"},
    {"type": "url_context"},
    {"type": "google_search", "search_types": ["web_search"]},
    {"type": "mcp_server", "name": "docs", "url": "https://mcp.example.com", "headers": {"k": "v"}},
]

INTERACTION_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("string input", {"model": "gemini:gemini-3.5-flash", "input": "Hello"}),
    ("one content object", {"model": "scripted:echo", "input": {"type": "text", "text": "one"}}),
    (
        "content list",
        {
            "agent": "default",
            "input": [{"type": "text", "text": "hi"}, {"type": "image", "uri": "gs://b/i.png"}],
        },
    ),
    ("content without type", {"agent": "default", "input": [{"text": "hi"}]}),
    (
        "function result steps",
        {
            "model": "scripted:echo",
            "previous_interaction_id": "int_fc1",
            "tools": TOOLS[:1],
            "input": [
                {"type": "function_result", "call_id": "call_1", "name": "get_weather", "result": {"t": 21}},
                {"type": "function_result", "call_id": "call_2", "result": "sunny", "is_error": True},
                {"type": "function_result", "call_id": "call_3", "result": [{"type": "text", "text": "x"}]},
            ],
        },
    ),
    (
        "history replay",
        {
            "model": "scripted:echo",
            "store": False,
            "input": [
                {"type": "user_input", "content": [{"type": "text", "text": "weather?"}]},
                {"type": "function_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "function_result", "call_id": "c1", "result": {"t": 21}},
                {"type": "model_output", "content": [{"type": "text", "text": "21C"}]},
                {"type": "thought", "signature": "c2ln"},
            ],
        },
    ),
    ("all tools", {"agent": "default", "input": "x", "tools": TOOLS}),
    (
        "agent form with environment object",
        {
            "agent": "antigravity-preview-05-2026",
            "input": "Run the tests",
            "agent_config": {
                "type": "antigravity",
                "model": "gemini:gemini-3.5-flash",
                "max_total_tokens": 1000,
            },
            "environment": ENVIRONMENT,
            "background": True,
            "system_instruction": "be brief",
            "labels": {"team": "infra"},
        },
    ),
    ("environment id string", {"agent": "my-agent", "input": "x", "environment": "env_7f3a", "store": True}),
    (
        "model form settings",
        {
            "model": "scripted:echo",
            "input": "x",
            "generation_config": {
                "temperature": 0.1,
                "max_output_tokens": 50,
                "thinking_level": "low",
                "tool_choice": {"allowed_tools": {"mode": "any", "tools": ["get_weather"]}},
                "stop_sequences": ["END"],
            },
            "response_format": {
                "type": "text",
                "mime_type": "application/json",
                "schema": {"type": "object"},
            },
            "safety_settings": [{"type": "harassment", "threshold": "block_none"}],
            "service_tier": "flex",
            "webhook_config": {"uris": ["https://hooks.example.com"]},
        },
    ),
    ("response format list", {"model": "scripted:echo", "input": "x", "response_format": [{"type": "text"}]}),
]


@pytest.mark.parametrize("kwargs", [c[1] for c in INTERACTION_CALLS], ids=[c[0] for c in INTERACTION_CALLS])
def test_interactions_create(kwargs: dict[str, Any], sdk_capture: tuple[genai.Client, Any]) -> None:
    """Each input form, tool, environment form and agent_config the SDK sends is accepted."""
    client, capture = sdk_capture
    client.interactions.create(**kwargs)
    body = capture.bodies()[-1]
    parsed = CreateInteraction.model_validate(body)
    assert (parsed.model or parsed.agent) == kwargs.get("model", kwargs.get("agent"))


def test_interactions_create_stream(sdk_capture: tuple[genai.Client, Any]) -> None:
    """A streaming create sends `stream: true`, which the request model accepts."""
    client, capture = sdk_capture
    with contextlib.suppress(Exception):  # the recorder answers JSON, not SSE; only the request matters
        for _ in client.interactions.create(agent="default", input="x", stream=True, background=True):
            pass
    body = capture.bodies()[-1]
    assert body["stream"] is True
    CreateInteraction.model_validate(body)


def test_sdk_sends_int64_as_string(sdk_capture: tuple[genai.Client, Any]) -> None:
    """The SDK sends `max_total_tokens` as a string; Warren reads it as an int and sends it back as one."""
    client, capture = sdk_capture
    client.interactions.create(
        agent="a", input="x", agent_config={"type": "antigravity", "max_total_tokens": 7}
    )
    body = capture.bodies()[-1]
    assert body["agent_config"]["max_total_tokens"] == "7"
    parsed = CreateInteraction.model_validate(body)
    assert parsed.agent_config is not None
    assert parsed.agent_config.max_total_tokens == 7
    assert to_wire(parsed.agent_config)["max_total_tokens"] == "7"


def test_agents_create(sdk_capture: tuple[genai.Client, Any]) -> None:
    """The spec's agent example, sent by the SDK, parses as an Agent."""
    client, capture = sdk_capture
    client.agents.create(
        id="repo-fixer",
        description="Fixes failing tests",
        base_agent="antigravity-preview-05-2026",
        system_instruction="You fix tests.",
        agent_config={"type": "antigravity", "model": "gemini:gemini-3.5-flash", "max_total_tokens": 200000},
        base_environment=ENVIRONMENT,
        tools=TOOLS,
    )
    client.agents.create(id="b", base_environment="env_1")
    first, second = (Agent.model_validate(b) for b in capture.bodies())
    assert first.agent_config is not None and first.agent_config.max_total_tokens == 200000
    assert second.base_environment == "env_1"


def test_environments_create(sdk_capture: tuple[genai.Client, Any]) -> None:
    """No-argument, allowlist, disabled and forked environment creates all parse."""
    client, capture = sdk_capture
    client.environments.create()
    client.environments.create(mode="on_demand", network="disabled", sources=ENVIRONMENT["sources"])
    client.environments.create(
        network={
            "allowlist": [
                {"domain": "*.googleapis.com"},
                {"domain": "storage.googleapis.com", "transform": {"h": "v"}},
            ]
        }
    )
    client.environments.create(network={"allowlist": "disabled"}, from_environment="environments/env_1")
    bodies = capture.bodies()
    assert bodies[0] == {}
    parsed = [CreateEnvironmentRequest.model_validate(b) for b in bodies]
    assert parsed[1].network == "disabled"
    assert isinstance(parsed[3].network, EgressAllowlist)
