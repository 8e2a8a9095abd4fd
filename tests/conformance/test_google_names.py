"""Code written for Google runs unchanged against `warren serve` (issue 22, items 1 and 2).

google-genai -> `warren serve` -> the real gemini provider -> the fake Gemini server on 127.0.0.1:
a bare `gemini-3-flash-preview` reaches the gemini provider unchanged, Google's agent presets are
Warren's agents under the name the client sent, and what nothing serves is refused naming the field.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import _interactions_errors as errors

from tests.conformance.provider_fakes import ProviderServer, provider_server
from tests.fakes.server import Turn

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(300)]

BARE = "gemini-3-flash-preview"
ANTIGRAVITY = "antigravity-preview-05-2026"
DEEP_RESEARCH = "deep-research-preview-04-2026"


@pytest.fixture(scope="module")
def providers(sandbox_image: str) -> Iterator[ProviderServer]:
    with provider_server(sandbox_image) as running:
        yield running


@pytest.fixture
def client(providers: ProviderServer) -> genai.Client:
    warnings.filterwarnings("ignore", message=".*experimental.*")
    providers.reset()
    return providers.server.client()


def _field(error: Any) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    details = body.get("error", body).get("details") or [{}]
    return str(details[0]["fieldViolations"][0]["field"])


def test_a_bare_gemini_name_reaches_the_gemini_provider_unchanged(
    providers: ProviderServer, client: genai.Client
) -> None:
    providers.fakes["gemini"].queue(Turn(text="hello from the fake Gemini"))
    interaction = client.interactions.create(model=BARE, input="Say hello.")
    assert interaction.status == "completed", interaction
    assert interaction.model == BARE
    assert "hello from the fake Gemini" in str(interaction.model_dump())
    posts = [r.path for r in providers.fakes["gemini"].requests if r.method == "POST"]
    assert posts and all(f"models/{BARE}:" in path for path in posts), posts
    assert not [r for name in ("openai", "anthropic") for r in providers.fakes[name].requests]


def test_an_unknown_bare_name_is_refused_naming_model(
    providers: ProviderServer, client: genai.Client
) -> None:
    for model in ("mistral-large-2", "sk-live-0123456789abcdef"):
        with pytest.raises(errors.BadRequestError, match="model: ") as caught:
            client.interactions.create(model=model, input="hi")
        assert _field(caught.value) == "model" and model not in str(caught.value.body)
    assert not providers.fakes["gemini"].requests


def test_the_antigravity_preset_is_the_default_agent_under_its_name(client: genai.Client) -> None:
    interaction = client.interactions.create(agent=ANTIGRAVITY, input="hi")
    assert interaction.status == "completed", interaction
    assert interaction.agent == ANTIGRAVITY
    assert client.interactions.get(id=interaction.id).agent == ANTIGRAVITY
    agent = client.agents.get(id=ANTIGRAVITY)
    assert (
        agent.id == ANTIGRAVITY
        and agent.system_instruction == client.agents.get(id="default").system_instruction
    )


def test_the_deep_research_preset_is_the_research_agent(client: genai.Client) -> None:
    interaction = client.interactions.create(agent=DEEP_RESEARCH, input="hi")
    assert interaction.status == "completed", interaction
    assert interaction.agent == DEEP_RESEARCH
    agent = client.agents.get(id=DEEP_RESEARCH)
    assert agent.id == DEEP_RESEARCH
    assert "cites its source" in str(agent.system_instruction)
    assert {t.type for t in agent.tools or []} >= {"code_execution", "url_context"}


def test_an_unknown_agent_is_404_naming_agent(client: genai.Client) -> None:
    with pytest.raises(errors.NotFoundError) as caught:
        client.interactions.create(agent="no-such-agent-anywhere", input="hi")
    assert _field(caught.value) == "agent"
    with pytest.raises(errors.NotFoundError):
        client.agents.get(id="no-such-agent-anywhere")
