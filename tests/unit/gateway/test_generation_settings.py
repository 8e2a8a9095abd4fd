"""Seed, tool choice, thinking level, safety settings and structured output through each real provider.

Each provider runs its production code and SDK against its vendor's fake (issue 15): a setting it
honours must arrive in the vendor's own field, and one it cannot honour is named by `unsupported`
(the API turns that into a 400 before anything is stored; see tests/unit/api_app/test_model_settings.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents.model_types import GenerationConfig, SafetySetting, ToolChoice
from orchestrator.gateway import Message, ModelRequest, TextPart, ToolDeclaration
from orchestrator.gateway.anthropic_structured import ANSWER_TOOL
from orchestrator.gateway.scripted import ScriptedProvider
from tests.fakes.server import ToolCall, Turn
from tests.unit.gateway.conftest import Vendor, open_vendor
from tests.unit.gateway.test_providers import collect

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
LOOKUP = ToolDeclaration(
    name="lookup", parameters={"type": "object", "properties": {"q": {"type": "string"}}}
)
HARASSMENT = SafetySetting(category="harassment", threshold="block_only_high")


def _request(config: GenerationConfig, tools: list[ToolDeclaration] | None = None) -> ModelRequest:
    hello = Message(role="user", parts=[TextPart(text="Where is the Louvre?")])
    return ModelRequest(messages=[hello], tools=tools or [], config=config)


def _refused(
    vendor: Vendor, config: GenerationConfig, tools: list[ToolDeclaration] | None = None
) -> set[str]:
    return {u.setting for u in vendor.make().unsupported(_request(config, tools))}


EVERYTHING = GenerationConfig(
    seed=7,
    thinking_level="low",
    safety_settings=[HARASSMENT],
    tool_choice=ToolChoice(mode="any", tools=["lookup"]),
)

EXPECTED_REFUSALS = {
    "gemini": set(),
    "openai": {"safety_settings"},
    "anthropic": {"seed", "safety_settings", "thinking_level"},  # thinking cannot go with a forced call
}


def test_each_provider_names_what_it_cannot_honour(vendor: Vendor) -> None:
    assert _refused(vendor, EVERYTHING, [LOOKUP]) == EXPECTED_REFUSALS[vendor.name]


@pytest.mark.parametrize("mode", ["validated"])
def test_validated_tool_mode_is_gemini_only(vendor: Vendor, mode: str) -> None:
    config = GenerationConfig(tool_choice=ToolChoice(mode=mode))  # type: ignore[arg-type]
    expected = set() if vendor.name == "gemini" else {"tool_choice"}
    assert _refused(vendor, config, [LOOKUP]) == expected


def test_scripted_refuses_sampling_settings_and_takes_a_seed() -> None:
    provider = ScriptedProvider("echo")
    assert {u.setting for u in provider.unsupported(_request(EVERYTHING))} == {
        "tool_choice",
        "thinking_level",
        "safety_settings",
    }
    assert provider.unsupported(_request(GenerationConfig(seed=1, response_schema=CITY))) == []


async def test_gemini_receives_every_setting(fakes: dict[str, Any]) -> None:
    vendor = open_vendor("gemini", fakes)
    config = EVERYTHING.model_copy(update={"response_schema": CITY})
    await vendor.make().generate(_request(config, [LOOKUP]))
    body = vendor.fake.requests[-1].body
    generation = body["generationConfig"]
    assert generation["seed"] == 7
    thinking = generation["thinkingConfig"]  # this SDK sends it in snake case; protobuf JSON takes both
    assert thinking.get("thinkingLevel", thinking.get("thinking_level")) == "LOW"
    assert generation["responseMimeType"] == "application/json"
    assert generation["responseJsonSchema"] == CITY
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["lookup"]}
    }
    assert body["safetySettings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}
    ]


def test_gemini_api_refuses_a_safety_method(fakes: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK takes `method` on Vertex AI only; on the Gemini API it is refused by name, not dropped."""
    vendor = open_vendor("gemini", fakes)
    scored = GenerationConfig(safety_settings=[HARASSMENT.model_copy(update={"method": "severity"})])
    monkeypatch.delenv("GOOGLE_GENAI_USE_VERTEXAI", raising=False)
    assert _refused(vendor, scored) == {"safety_settings"}
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    assert _refused(vendor, scored) == set()


async def test_gemini_json_mode_without_a_schema(fakes: dict[str, Any]) -> None:
    vendor = open_vendor("gemini", fakes)
    await vendor.make().generate(_request(GenerationConfig(json_output=True)))
    generation = vendor.fake.requests[-1].body["generationConfig"]
    assert generation["responseMimeType"] == "application/json"
    assert "responseJsonSchema" not in generation


async def test_openai_receives_seed_choice_effort_and_schema(fakes: dict[str, Any]) -> None:
    vendor = open_vendor("openai", fakes)
    config = EVERYTHING.model_copy(update={"safety_settings": [], "response_schema": CITY})
    await vendor.make().generate(_request(config, [LOOKUP]))
    body = vendor.fake.requests[-1].body
    assert body["seed"] == 7
    assert body["reasoning_effort"] == "low"
    assert body["tool_choice"] == {
        "type": "allowed_tools",
        "allowed_tools": {
            "mode": "required",
            "tools": [{"type": "function", "function": {"name": "lookup"}}],
        },
    }
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": CITY},
    }


@pytest.mark.parametrize(("mode", "wire"), [("auto", "auto"), ("any", "required"), ("none", "none")])
async def test_openai_tool_modes(fakes: dict[str, Any], mode: str, wire: str) -> None:
    vendor = open_vendor("openai", fakes)
    config = GenerationConfig(tool_choice=ToolChoice(mode=mode), json_output=True)  # type: ignore[arg-type]
    await vendor.make().generate(_request(config, [LOOKUP]))
    body = vendor.fake.requests[-1].body
    assert body["tool_choice"] == wire
    assert body["response_format"] == {"type": "json_object"}


async def test_anthropic_structured_output_is_one_forced_tool(fakes: dict[str, Any]) -> None:
    """The answer tool's input comes back as the answer's text; nothing above sees the tool."""
    vendor = open_vendor("anthropic", fakes)
    provider = vendor.make()
    vendor.fake.queue(Turn(tool_calls=[ToolCall(ANSWER_TOOL, {"city": "Paris"})]))
    response = await provider.generate(_request(GenerationConfig(response_schema=CITY)))
    body = vendor.fake.requests[-1].body
    assert body["tool_choice"] == {"type": "tool", "name": ANSWER_TOOL}
    assert [t["input_schema"] for t in body["tools"]] == [CITY]
    assert json.loads(response.text) == {"city": "Paris"}
    assert response.finish_reason == "stop" and response.tool_calls == []


async def test_anthropic_structured_stream_and_wrapped_schema(fakes: dict[str, Any]) -> None:
    """A schema that is not an object (or plain JSON mode) is wrapped as {"value": ...} and unwrapped."""
    vendor = open_vendor("anthropic", fakes)
    listing = {"type": "array", "items": {"type": "string"}}
    vendor.fake.queue(Turn(tool_calls=[ToolCall(ANSWER_TOOL, {"value": ["a", "b"]})]))
    events = await collect(vendor.make(), _request(GenerationConfig(response_schema=listing), [LOOKUP]))
    body = vendor.fake.requests[-1].body
    assert body["tool_choice"] == {"type": "any"}, "with functions declared, the model may call one of them"
    assert body["tools"][-1]["input_schema"]["properties"]["value"] == listing
    assert [e.type for e in events if e.type in ("tool_call", "text_delta")] == ["text_delta"]
    done = events[-1].response  # type: ignore[union-attr]
    assert json.loads(done.text) == ["a", "b"] and done.finish_reason == "stop"


async def test_anthropic_thinking_level_is_a_budget(fakes: dict[str, Any]) -> None:
    vendor = open_vendor("anthropic", fakes)
    config = GenerationConfig(thinking_level="high", tool_choice=ToolChoice(mode="none"))
    await vendor.make().generate(_request(config, [LOOKUP]))
    body = vendor.fake.requests[-1].body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 16384}
    assert body["max_tokens"] > 16384, "the fake, like the API, refuses a budget not below max_tokens"
    assert body["tool_choice"] == {"type": "none"}


def test_anthropic_refuses_what_its_api_would(fakes: dict[str, Any]) -> None:
    vendor = open_vendor("anthropic", fakes)
    small = GenerationConfig(thinking_level="high", max_output_tokens=1000)
    assert _refused(vendor, small) == {"thinking_level"}
    several = GenerationConfig(tool_choice=ToolChoice(mode="any", tools=["lookup", "other"]))
    assert _refused(vendor, several, [LOOKUP]) == {"tool_choice"}
    clash = ToolDeclaration(name=ANSWER_TOOL)
    assert _refused(vendor, GenerationConfig(json_output=True), [clash]) == {"response_schema"}
