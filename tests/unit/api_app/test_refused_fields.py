"""Every request field Warren does not carry out is refused by name, and nothing is stored (issue 15).

The table is `docs/wire.md`'s "refused" rows: each body is valid for the SDK's types, so only
Warren's own refusal (`interactions/refusals.py`, the agent and environment routes) stops it. Each
answer must be a 400 whose message starts with the field's path, and the store must not change.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api_app.conftest import App
from tests.unit.api_app.refusal_checks import assert_refused

INTERACTIONS, AGENTS, ENVIRONMENTS = "/v1beta/interactions", "/v1beta/agents", "/v1beta/environments"


def _model(**fields: Any) -> dict[str, Any]:
    return {"model": "scripted:echo", "input": "hi", **fields}


def _agent(**fields: Any) -> dict[str, Any]:
    return {"agent": "default", "input": "hi", **fields}


MCP = {"type": "mcp_server", "name": "files", "url": "https://mcp.example.com/mcp"}
LOOPBACK_MCP = {**MCP, "url": "http://127.0.0.1:8931/mcp"}
PRIVATE_MCP = {**MCP, "url": "https://10.1.2.3/mcp"}
METADATA_MCP = {**MCP, "url": "http://169.254.169.254/mcp"}

REFUSED: list[tuple[str, str, dict[str, Any], str, str]] = [
    # (name, route, body, field path, a word the message must carry)
    ("cached_content", INTERACTIONS, _model(cached_content="cachedContents/1"), "cached_content", "cached"),
    (
        "continuation_token",
        INTERACTIONS,
        _model(continuation_token="tok"),
        "continuation_token",
        "continuation",
    ),
    (
        "agent continuation_token",
        INTERACTIONS,
        _agent(continuation_token="t"),
        "continuation_token",
        "continuation",
    ),
    (
        "image modality",
        INTERACTIONS,
        _model(response_modalities=["text", "image"]),
        "response_modalities[1]",
        "text",
    ),
    ("audio modality", INTERACTIONS, _agent(response_modalities=["audio"]), "response_modalities[0]", "text"),
    (
        "speech_config",
        INTERACTIONS,
        _model(generation_config={"speech_config": [{"voice": "Kore"}]}),
        "generation_config.speech_config",
        "text",
    ),
    (
        "image_config",
        INTERACTIONS,
        _model(generation_config={"image_config": {"aspect_ratio": "1:1"}}),
        "generation_config.image_config",
        "text",
    ),
    (
        "video_config",
        INTERACTIONS,
        _model(generation_config={"video_config": {"task": "text_to_video"}}),
        "generation_config.video_config",
        "text",
    ),
    # mcp_server tools on forbidden addresses: decided at create by policy, never connected to
    (
        "model-form mcp_server on loopback",
        INTERACTIONS,
        _model(tools=[LOOPBACK_MCP]),
        "tools[0].url",
        "loopback",
    ),
    (
        "agent-form mcp_server on a private address",
        INTERACTIONS,
        _agent(tools=[PRIVATE_MCP]),
        "tools[0].url",
        "private",
    ),
    (
        "mcp_server on the metadata address",
        INTERACTIONS,
        _model(tools=[METADATA_MCP]),
        "tools[0].url",
        "policy",
    ),
    (
        "mcp_server on a public IP literal",
        INTERACTIONS,
        _model(tools=[{**MCP, "url": "https://8.8.8.8/mcp"}]),
        "tools[0].url",
        "IP literal",
    ),
    (
        "mcp_server without http(s)",
        INTERACTIONS,
        _model(tools=[{**MCP, "url": "ftp://x/"}]),
        "tools[0].url",
        "http",
    ),
    (
        "mcp_server name with the separator",
        INTERACTIONS,
        _model(tools=[{**MCP, "name": "a__b"}]),
        "tools[0].name",
        "__",
    ),
    (
        "two mcp_servers of one name",
        INTERACTIONS,
        _agent(tools=[MCP, MCP]),
        "tools[1].name",
        "another",
    ),
    (
        "function taking an mcp_server's prefix",
        INTERACTIONS,
        _model(tools=[MCP, {"type": "function", "name": "files__read"}]),
        "tools[1].name",
        "prefix",
    ),
    (
        "mcp_server header the transport sets",
        INTERACTIONS,
        _model(tools=[{**MCP, "headers": {"Host": "evil"}}]),
        "tools[0].headers",
        "transport",
    ),
    (
        "mcp_server header value with a line break",
        INTERACTIONS,
        _model(tools=[{**MCP, "headers": {"Authorization": "Bearer a\r\nX-Evil: 1"}}]),
        "tools[0].headers",
        "visible ASCII",
    ),
    (
        "mcp_server allowed_tools mode",
        INTERACTIONS,
        _model(tools=[{**MCP, "allowed_tools": [{"mode": "any", "tools": ["x"]}]}]),
        "tools[0].allowed_tools[0].mode",
        "auto",
    ),
    (
        "mcp_server deferred loading",
        INTERACTIONS,
        _model(tools=[{**MCP, "defer_loading": True}]),
        "tools[0].defer_loading",
        "tool_search",
    ),
    (
        "model-form url_context",
        INTERACTIONS,
        _model(tools=[{"type": "url_context"}]),
        "tools[0].type",
        "url_context",
    ),
    (
        "model-form google_search",
        INTERACTIONS,
        _model(tools=[{"type": "function", "name": "f"}, {"type": "google_search"}]),
        "tools[1].type",
        "google_search",
    ),
    (
        "model-form code_execution without a sandbox backend",
        INTERACTIONS,
        _model(tools=[{"type": "code_execution"}]),
        "tools[0].type",
        "sandbox backend",
    ),
    (
        "deferred function",
        INTERACTIONS,
        _model(tools=[{"type": "function", "name": "f", "defer_loading": True}]),
        "tools[0].defer_loading",
        "tool_search",
    ),
    ("model-form environment", INTERACTIONS, _model(environment="env_1"), "environment", "environment"),
    (
        "agent-form self_hosted environment",
        INTERACTIONS,
        _agent(environment={"type": "remote", "mode": "self_hosted"}),
        "environment.mode",
        "self_hosted",
    ),
    (
        "agent-form custom_config",
        INTERACTIONS,
        _agent(environment={"type": "remote", "custom_config": {"a": 1}}),
        "environment.custom_config",
        "self_hosted",
    ),
    (
        "store false in the background",
        INTERACTIONS,
        _model(store=False, background=True),
        "store",
        "background",
    ),
    (
        "agent store false in the background",
        INTERACTIONS,
        _agent(store=False, background=True),
        "store",
        "background",
    ),
    (
        "agent mcp_server on loopback",
        AGENTS,
        {"tools": [LOOPBACK_MCP]},
        "tools[0].url",
        "WARREN_EGRESS_ALLOW_ADDRESSES",
    ),
    (
        "agent deferred function",
        AGENTS,
        {"tools": [{"type": "function", "name": "f", "defer_loading": True}]},
        "tools[0].defer_loading",
        "tool_search",
    ),
    (
        "agent self_hosted base_environment",
        AGENTS,
        {"base_environment": {"type": "remote", "mode": "self_hosted"}},
        "base_environment.mode",
        "self_hosted",
    ),
    ("environment self_hosted", ENVIRONMENTS, {"mode": "self_hosted"}, "mode", "self_hosted"),
    ("environment custom_config", ENVIRONMENTS, {"custom_config": {"a": 1}}, "custom_config", "self_hosted"),
    (
        "environment system_instruction",
        ENVIRONMENTS,
        {"system_instruction": "x"},
        "system_instruction",
        "self_hosted",
    ),
]


async def test_refused_fields_are_400_naming_the_field_and_store_nothing(api: App) -> None:
    await assert_refused(api, REFUSED)


@pytest.mark.parametrize("modalities", [["text"], None])
async def test_text_output_is_honoured(api: App, modalities: list[str] | None) -> None:
    """The one modality Warren produces is accepted: the refusal above is about the others only."""
    body = _model(response_modalities=modalities) if modalities else _model()
    response = await api.a.post(INTERACTIONS, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"
