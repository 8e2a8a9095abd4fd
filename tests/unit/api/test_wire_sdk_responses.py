"""Every response model Warren sends validates STRICTLY with google-genai 3.6.1's own types."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import agents as sdk_agents
from google.genai import environments as sdk_envs
from google.genai import interactions as sdk_interactions

from orchestrator.api.wire.agents import Agent, AgentList, AntigravityAgentConfig
from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.content import TextContent
from orchestrator.api.wire.deltas import Delta, TextDelta
from orchestrator.api.wire.environments import Environment, EnvironmentConfig, EnvironmentList, EnvVar, Source
from orchestrator.api.wire.error_body import Error
from orchestrator.api.wire.events import (
    ErrorEvent,
    EventInteraction,
    InteractionCompletedEvent,
    InteractionCreatedEvent,
    InteractionSSEEvent,
    InteractionStatusUpdate,
    StepDelta,
    StepDeltaMetadata,
    StepStart,
    StepStop,
    encode_sse,
)
from orchestrator.api.wire.files import EnvironmentFile, FileList
from orchestrator.api.wire.generation import (
    AudioResponseFormat,
    GenerationConfig,
    ImageConfig,
    ImageResponseFormat,
    SafetySetting,
    SpeechConfig,
    TextResponseFormat,
    ToolChoiceConfig,
    VideoConfig,
    VideoResponseFormat,
    WebhookConfig,
)
from orchestrator.api.wire.interactions import Interaction
from orchestrator.api.wire.network import AllowlistEntry, EgressAllowlist
from orchestrator.api.wire.steps import STEP_TYPES, FunctionCallStep, ModelOutputStep, Step, UserInputStep
from orchestrator.api.wire.tools import (
    AllowedTools,
    CodeExecution,
    Function,
    GoogleSearch,
    MCPServer,
    Tool,
    URLContext,
)
from orchestrator.api.wire.usage import GroundingToolCount, ModalityTokens, Usage
from tests.unit.api.wire_samples import DELTAS, STEPS, T0, TEXT

ENV_CONFIG = EnvironmentConfig(
    environment_id="env_7f3a",
    mode="on_demand",
    network=EgressAllowlist(
        allowlist=[
            AllowlistEntry(domain="pypi.org"),
            AllowlistEntry(domain="api.github.com", credential="cred-1", transform={"Authorization": "x"}),
            AllowlistEntry(domain="www.example.com", transform=[{"X-A": "1"}, {"X-B": "2"}]),
        ]
    ),
    sources=[Source(type="repository", source="github.com/acme/app", target="app")],
    custom_config={"k": 1},
    env={"LOG_LEVEL": "debug", "GH_TOKEN": EnvVar(credential="cred-123")},
)
TOOLS: list[Tool] = [
    Function(name="notify", parameters={"type": "object"}, short_description="n", defer_loading=False),
    CodeExecution(),
    URLContext(),
    GoogleSearch(search_types=["web_search", "image_search"]),
    MCPServer(
        name="docs",
        url="https://mcp.example.com",
        headers={"X-Key": "v"},
        allowed_tools=[AllowedTools(mode="auto", tools=["search"])],
    ),
]


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.type)
def test_interaction_with_each_step_kind(step: Step, sdk_strict: Any) -> None:
    """An Interaction carrying one step of each kind parses to the SDK's typed step class."""
    interaction = Interaction(id="int_1", status="completed", steps=[step])
    parsed = sdk_strict(sdk_interactions.Interaction, to_wire(interaction))
    assert parsed.steps[0].type == step.type


def test_every_step_kind_is_covered() -> None:
    """The samples cover the whole Step union, so a new kind cannot slip past the strict test."""
    assert {s.type for s in STEPS} == STEP_TYPES


@pytest.mark.filterwarnings("ignore:.*DEPRECATED.*:DeprecationWarning")  # the SDK deprecates ImageConfig
def test_full_interaction(sdk_strict: Any) -> None:
    """An Interaction with every field Warren may send, including echoes, usage and errors."""
    interaction = Interaction(
        id="int_a1",
        status="requires_action",
        agent="repo-fixer",
        agent_config=AntigravityAgentConfig(model="gemini:gemini-3-pro", max_total_tokens=200000),
        created=T0,
        updated=T0,
        steps=STEPS,
        usage=Usage(
            total_input_tokens=5,
            total_output_tokens=4,
            total_thought_tokens=2,
            total_cached_tokens=0,
            total_tool_use_tokens=1,
            total_tokens=11,
            initial_input_tokens=5,
            input_tokens_by_modality=[ModalityTokens(modality="text", tokens=5)],
            output_tokens_by_modality=[ModalityTokens(modality="image", tokens=4)],
            cached_tokens_by_modality=[],
            tool_use_tokens_by_modality=[ModalityTokens(modality="text", tokens=1)],
            grounding_tool_count=[GroundingToolCount(type="google_search", count=1)],
        ),
        environment=ENV_CONFIG,
        environment_id="env_7f3a",
        previous_interaction_id="int_0",
        system_instruction="You fix tests.",
        tools=TOOLS,
        generation_config=GenerationConfig(
            temperature=0.2,
            top_p=0.9,
            max_output_tokens=100,
            seed=7,
            stop_sequences=["END"],
            thinking_level="high",
            thinking_summaries="auto",
            tool_choice=ToolChoiceConfig(allowed_tools=AllowedTools(mode="any", tools=["notify"])),
            speech_config=[SpeechConfig(voice="Kore", language="en-US")],
            image_config=ImageConfig(aspect_ratio="16:9", image_size="1K"),
            video_config=VideoConfig(task="text_to_video"),
        ),
        response_format=[
            TextResponseFormat(mime_type="application/json", schema_={"type": "object"}),
            ImageResponseFormat(aspect_ratio="1:1", mime_type="image/jpeg", delivery="inline"),
            AudioResponseFormat(mime_type="audio/wav", sample_rate=24000),
            VideoResponseFormat(aspect_ratio="16:9", resolution="720p", duration="8s"),
        ],
        service_tier="standard",
        labels={"team": "infra"},
        safety_settings=[SafetySetting(type="harassment", threshold="block_none", method="severity")],
        webhook_config=WebhookConfig(uris=["https://hooks.example.com"], user_metadata={"a": 1}),
        input=[UserInputStep(content=[TextContent(text="Run the tests")])],
        errors=[Error(code="internal", message="tool crashed")],
    )
    data = to_wire(interaction)
    assert data["agent_config"]["max_total_tokens"] == "200000"
    assert data["created"] == "2026-05-20T10:00:00Z"
    assert data["response_format"][0]["schema"] == {"type": "object"}
    parsed = sdk_strict(sdk_interactions.Interaction, data)
    assert parsed.agent_config.max_total_tokens == 200000
    assert parsed.environment.env["GH_TOKEN"].credential == "cred-123"


@pytest.mark.parametrize(
    "interaction",
    [
        Interaction(id="int_1", status="in_progress", model="scripted:demo"),
        Interaction(id="int_2", status="completed", environment="env_1", input="Hello"),
        Interaction(id="int_3", status="failed", input=TEXT, response_format=TextResponseFormat()),
        Interaction(id="int_4", status="cancelled", input=[TEXT], generation_config=GenerationConfig()),
        Interaction(id="int_5", status="budget_exceeded", environment=EnvironmentConfig(network="disabled")),
    ],
    ids=lambda i: i.status,
)
def test_interaction_variants(interaction: Interaction, sdk_strict: Any) -> None:
    """String and object forms of `environment`, `input` and `response_format` parse strictly."""
    sdk_strict(sdk_interactions.Interaction, to_wire(interaction))


def _events() -> list[InteractionSSEEvent]:
    snapshot = EventInteraction(
        id="int_1", status="in_progress", model="gemini-3.5-flash", object="interaction", created=T0
    )
    usage = Usage(total_output_tokens=4)
    return [
        InteractionCreatedEvent(event_id="e0", interaction=snapshot),
        InteractionStatusUpdate(event_id="e1", interaction_id="int_1", status="in_progress", usage=usage),
        StepStart(event_id="e2", index=0, step=ModelOutputStep(content=[])),
        StepStart(event_id="e3", index=1, step=FunctionCallStep(id="call_1", name="f", arguments={})),
        StepDelta(
            event_id="e4",
            index=0,
            delta=TextDelta(text="Hi"),
            metadata=StepDeltaMetadata(total_usage=usage),
        ),
        StepStop(event_id="e5", index=0, usage=usage, step_usage=usage),
        InteractionCompletedEvent(
            event_id="e6",
            interaction=EventInteraction(
                id="int_1",
                status="completed",
                agent="default",
                updated=T0,
                service_tier="standard",
                steps=[ModelOutputStep(content=[TextContent(text="Hi")])],
                usage=Usage(total_tokens=11),
            ),
        ),
        ErrorEvent(event_id="e7", error=Error(code="internal", message="model call failed")),
    ]


@pytest.mark.parametrize("event", _events(), ids=lambda e: f"{e.event_type}-{e.event_id}")
def test_each_sse_event(event: InteractionSSEEvent, sdk_strict: Any) -> None:
    """Each SSE payload parses to its typed SDK event class, keyed by `event_type` in the JSON."""
    parsed = sdk_strict(sdk_interactions.InteractionSSEEvent, to_wire(event))
    assert parsed.event_type == event.event_type
    assert parsed.event_id == event.event_id


@pytest.mark.parametrize("delta", DELTAS, ids=lambda d: d.type)
def test_step_delta_with_each_delta_kind(delta: Delta, sdk_strict: Any) -> None:
    """A `step.delta` event parses strictly with every kind of delta."""
    event = StepDelta(event_id="e1", index=3, delta=delta)
    parsed = sdk_strict(sdk_interactions.InteractionSSEEvent, to_wire(event))
    assert parsed.delta.type == delta.type


def test_agent_and_agent_list(sdk_strict: Any) -> None:
    """Agent (inline and id-string base environment) and the list page parse strictly."""
    agent = Agent(
        id="repo-fixer",
        description="Fixes failing tests",
        base_agent="default",
        system_instruction="You fix tests.",
        agent_config=AntigravityAgentConfig(model="gemini:gemini-3-pro", max_total_tokens=200000),
        base_environment=ENV_CONFIG,
        tools=TOOLS,
    )
    data = to_wire(agent)
    assert data["agent_config"]["max_total_tokens"] == "200000"
    sdk_strict(sdk_agents.Agent, data)
    page = AgentList(agents=[agent, Agent(id="b", base_environment="env_1")], next_page_token="p2")
    parsed = sdk_strict(sdk_agents.AgentListResponse, to_wire(page))
    assert parsed.agents[1].base_environment == "env_1"


def test_environment_and_list(sdk_strict: Any) -> None:
    """Environment with int64 strings and RFC 3339 times, and the list page, parse strictly."""
    env = Environment(
        id="env_7f3a",
        status="active",
        mode="on_demand",
        network="disabled",
        sources=[Source(type="inline", content="x", target="x.txt", encoding="base64")],
        custom_config={"k": "v"},
        created=T0,
        updated=T0,
        last_accessed=T0,
        file_count=3,
        size_bytes=4096,
        environment_key="secret-once",
    )
    data = to_wire(env)
    assert data["file_count"] == "3"
    assert data["size_bytes"] == "4096"
    assert data["last_accessed"] == "2026-05-20T10:00:00Z"
    parsed = sdk_strict(sdk_envs.Environment, data)
    assert parsed.size_bytes == 4096
    allowlisted = Environment(id="env_2", network=EgressAllowlist(allowlist="disabled"))
    page = EnvironmentList(environments=[env, allowlisted], next_page_token="tok")
    sdk_strict(sdk_envs.ListEnvironmentsResponse, to_wire(page))


def test_environment_file_list(sdk_strict: Any) -> None:
    """A file listing (also the upload's final body) parses strictly, with datetimes and int64 strings."""
    files = FileList(
        files=[
            EnvironmentFile(
                name="main.py",
                path="src/main.py",
                type="file",
                size_bytes=120,
                mime_type="text/x-python",
                created=T0,
                modified=T0,
            ),
            EnvironmentFile(name="lib", path="src/lib", type="directory", mime_type=""),
        ],
        next_page_token="tok",
    )
    data = to_wire(files)
    assert data["files"][0]["size_bytes"] == "120"
    parsed = sdk_strict(sdk_envs.GetEnvironmentFilesResponse, data)
    assert parsed.files[0].modified == T0
    sdk_strict(sdk_envs.EnvironmentFile, data["files"][0])


def test_strict_check_catches_unknowns(sdk_strict: Any) -> None:
    """The strict check itself refuses what the SDK would only accept leniently."""
    for bad in (
        {"id": "i", "status": "done"},  # status outside the enum
        {"id": "i", "status": "completed", "steps": [{"type": "mystery"}]},  # unknown step
        {"id": "i", "status": "completed", "colour": "red"},  # unknown field
        {"id": "i", "status": "completed", "steps": [{"type": "function_call", "id": "c"}]},  # missing fields
    ):
        with pytest.raises(Exception):  # noqa: B017 - pydantic or assertion, either refuses
            sdk_strict(sdk_interactions.Interaction, bad)


def test_sdk_reads_encoded_stream() -> None:
    """Frames from `encode_sse`, served as text/event-stream, come out of the real SDK client typed."""
    events = _events()
    body = "".join(encode_sse(e) for e in events) + encode_sse(None)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    with warnings.catch_warnings(), httpx.Client(transport=httpx.MockTransport(handler)) as http:
        warnings.simplefilter("ignore")
        client = genai.Client(
            api_key="k",
            http_options={"base_url": "http://testserver", "api_version": "v1beta", "httpx_client": http},
        )
        received = list(client.interactions.create(agent="default", input="x", stream=True))
    assert [type(e).__name__ for e in received] == [
        "InteractionCreatedEvent",
        "InteractionStatusUpdate",
        "StepStart",
        "StepStart",
        "StepDelta",
        "StepStop",
        "InteractionCompletedEvent",
        "ErrorEvent",
    ]
    assert [e.event_id for e in received] == [e.event_id for e in events]
