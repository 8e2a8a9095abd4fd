"""Code written for Google runs unchanged against `warren serve` (issue 22, items 1 and 2).

google-genai -> `warren serve` -> the real gemini provider -> the fake Gemini server on 127.0.0.1:
a bare `gemini-3-flash-preview` reaches the gemini provider unchanged, Google's agent presets are
Warren's agents under the name the client sent, and what nothing serves is refused naming the field.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import _interactions_errors as errors

from tests.conformance.provider_fakes import ProviderServer, provider_server
from tests.fakes.gemini import FakeGemini
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


def test_an_agent_asked_for_a_model_nothing_serves_is_refused_at_create(
    providers: ProviderServer, client: genai.Client
) -> None:
    with pytest.raises(errors.BadRequestError, match=r"agent_config\.model") as caught:
        client.interactions.create(
            agent=ANTIGRAVITY, input="hi", agent_config={"type": "antigravity", "model": "mistral-large-2"}
        )
    assert _field(caught.value) == "agent_config.model" and "mistral-large-2" not in str(caught.value.body)
    assert not [r for fake in providers.fakes.values() for r in fake.requests]


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
    assert [a.id for a in client.agents.list().agents or []][:2] == ["default", "research"]


def test_an_unknown_agent_is_404_naming_agent(client: genai.Client) -> None:
    with pytest.raises(errors.NotFoundError) as caught:
        client.interactions.create(agent="no-such-agent-anywhere", input="hi")
    assert _field(caught.value) == "agent"
    with pytest.raises(errors.NotFoundError):
        client.agents.get(id="no-such-agent-anywhere")


# A model-form conversation. Gemini 3 signs a text answer and rejects a history that lost the
# signature (the fake enforces it byte for byte), so continuing by `previous_interaction_id` only
# works if Warren keeps it; and a replayed history in `input` reaches the model but is not echoed
# as the response's own steps (the Vercel AI SDK reads every `model_output` step as the answer).

SIGNED_MODEL = "gemini:gemini-3-flash-preview"


def _gemini(providers: ProviderServer) -> FakeGemini:
    fake = providers.fakes["gemini"]
    assert isinstance(fake, FakeGemini)
    return fake


def _turns(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["role"], "".join(p.get("text", "") for p in c["parts"])) for c in body["contents"]]


def _bytes(signature: str) -> bytes:
    """Base64 of either alphabet (the SDK sends the URL-safe one)."""
    return base64.urlsafe_b64decode(signature.replace("+", "-").replace("/", "_"))


def _types(interaction: Any) -> list[str]:
    return [step.type for step in interaction.steps or []]


@pytest.mark.parametrize("stream", [False, True], ids=["blocking", "streamed"])
def test_a_signed_answer_is_continued_by_previous_interaction_id(
    providers: ProviderServer, client: genai.Client, stream: bool
) -> None:
    fake = _gemini(providers)
    fake.queue(Turn(text="Hello Grace."), Turn(text="Your name is Grace."))
    if stream:
        events = list(client.interactions.create(model=SIGNED_MODEL, input="My name is Grace.", stream=True))
        first = client.interactions.get(id=events[-1].interaction.id)  # type: ignore[union-attr]
    else:
        first = client.interactions.create(model=SIGNED_MODEL, input="My name is Grace.")
    assert first.status == "completed" and first.output_text == "Hello Grace.", first
    assert _types(first) == ["user_input", "model_output", "thought"], "the signature follows the text"
    signed = first.steps[-1]
    assert signed.signature and not signed.summary  # type: ignore[union-attr]
    second = client.interactions.create(
        model=SIGNED_MODEL, input="And my name?", previous_interaction_id=first.id
    )
    assert second.status == "completed", second
    assert second.output_text == "Your name is Grace."
    assert fake.signature_rejections == 0
    body = fake.requests[-1].body or {}
    assert _turns(body) == [
        ("user", "My name is Grace."),
        ("model", "Hello Grace."),
        ("user", "And my name?"),
    ]
    sent = [_bytes(p["thoughtSignature"]) for p in body["contents"][1]["parts"]]
    assert sent == [_bytes(signed.signature)], "the very bytes Gemini issued"  # type: ignore[union-attr]


def test_a_replayed_history_reaches_the_model_but_is_not_echoed(
    providers: ProviderServer, client: genai.Client
) -> None:
    fake = _gemini(providers)
    fake.queue(Turn(text="You are Ada."), Turn(text="Still Ada."))
    replay = [
        {"type": "user_input", "content": [{"type": "text", "text": "My name is Ada."}]},
        {"type": "model_output", "content": [{"type": "text", "text": "Hello Ada."}]},
        {"type": "user_input", "content": [{"type": "text", "text": "Who am I?"}]},
    ]
    done = client.interactions.create(model=SIGNED_MODEL, input=replay)  # type: ignore[arg-type]
    assert done.status == "completed" and done.output_text == "You are Ada."
    outputs = [s for s in done.steps or [] if s.type == "model_output"]
    assert [s.content[0].text for s in outputs] == ["You are Ada."], "only this turn's answer"  # type: ignore[union-attr]
    assert _types(done)[0] == "user_input" and done.steps[0].content[0].text == "Who am I?"  # type: ignore[union-attr]
    assert _types(client.interactions.get(id=done.id)) == _types(done)
    assert _turns(fake.requests[-1].body or {}) == [
        ("user", "My name is Ada."),
        ("model", "Hello Ada."),
        ("user", "Who am I?"),
    ]
    later = client.interactions.create(model=SIGNED_MODEL, input="Again?", previous_interaction_id=done.id)
    assert later.status == "completed" and fake.signature_rejections == 0
    assert _turns(fake.requests[-1].body or {}) == [
        ("user", "My name is Ada."),
        ("model", "Hello Ada."),
        ("user", "Who am I?"),
        ("model", "You are Ada."),
        ("user", "Again?"),
    ]


# Google's workspace conventions (issue 18 item 4): the workspace's AGENTS.md is preloaded into the
# agent's instructions and `.agents/skills/<name>/SKILL.md` is a skill beside the bundled ones.

SKILL_MD = "---\nname: x\ndescription: Formats the weekly digest the team expects.\n---\nUse bullet points.\n"


def test_agents_md_and_workspace_skills_reach_the_model(
    providers: ProviderServer, client: genai.Client
) -> None:
    fake = _gemini(providers)
    fake.queue(Turn(text="Following the house rules."))
    sources = [
        {"type": "inline", "content": "Always answer in French.\n\tIndent with tabs.", "target": "AGENTS.md"},
        {"type": "inline", "content": "Run `make check` before finishing.", "target": ".agents/AGENTS.md"},
        {"type": "inline", "content": SKILL_MD, "target": ".agents/skills/x/SKILL.md"},
    ]
    env = client.environments.create(sources=sources)  # type: ignore[arg-type]
    done = client.interactions.create(
        agent="default",
        environment=env.id,
        agent_config={"type": "antigravity", "model": SIGNED_MODEL},
        input="genai: what are the rules?",
    )
    assert done.status == "completed", done
    system = "".join(p.get("text", "") for p in (fake.requests[-1].body or {})["systemInstruction"]["parts"])
    assert "### AGENTS.md\nAlways answer in French.\n    Indent with tabs." in system
    assert "### .agents/AGENTS.md\nRun `make check` before finishing." in system
    assert system.index("Always answer in French.") < system.index("## Skills")
    assert "- x: Formats the weekly digest the team expects." in system
    assert "- web-research:" in system, "the bundled skills are still listed"
