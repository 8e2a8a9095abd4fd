"""LiteLLM's Interactions client (`litellm.interactions`, pinned in pyproject [dev]) against `warren serve`.

LiteLLM speaks Google's wire itself (`custom_llm_provider="gemini"`, Api-Revision 2026-05-20) and
hands back the body as `InteractionsAPIResponse`: the answer is in `steps`; `outputs`, the field its
older examples read, stays None. Issue 22 item 3.
"""

from __future__ import annotations

from typing import Any

import litellm
import pytest

from tests.partners.cases import (
    AGENT_ANSWER,
    BARE,
    MODEL,
    PRESET,
    SYSTEM,
    heard,
    history,
    model_call,
    system_text,
)
from tests.partners.serve import PartnerServer

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(180)]


def _create(partner: PartnerServer, **request: Any) -> Any:
    return litellm.interactions.create(
        custom_llm_provider="gemini", api_base=partner.url, api_key=partner.key, **request
    )


def _answer(interaction: Any) -> str:
    """The text of the last `model_output` step."""
    outputs = [s for s in interaction.steps or [] if s["type"] == "model_output"]
    assert outputs, f"no model_output step: {interaction.steps}"
    return "".join(c["text"] for c in outputs[-1].get("content") or [] if c["type"] == "text")


def _text(step: dict[str, Any]) -> str:
    return "".join(c["text"] for c in step.get("content") or [] if c["type"] == "text")


def test_model_form(partner: PartnerServer) -> None:
    prompt = "litellm: say hello"
    done = _create(partner, model=MODEL, input=prompt)
    assert (done.status, _answer(done), done.model) == ("completed", heard(prompt), MODEL)
    assert done.outputs is None, "Warren sends `steps` only; LiteLLM's older `outputs` stays empty"
    assert "/models/gemini-3-flash-preview:" in model_call(partner, prompt)["path"]


def test_streaming(partner: PartnerServer) -> None:
    prompt = "litellm: stream it"
    events = list(_create(partner, model=MODEL, input=prompt, stream=True))
    deltas = [e.delta["text"] for e in events if e.event_type == "step.delta" and e.delta["type"] == "text"]
    assert events[-1].event_type == "interaction.completed"
    assert len(deltas) >= 2 and "".join(deltas) == heard(prompt), deltas


def test_multi_turn_with_a_system_prompt_as_history(partner: PartnerServer) -> None:
    prompt = "litellm: what is my name?"
    turns = [("user_input", "My name is Ada."), ("model_output", "Hello Ada."), ("user_input", prompt)]
    steps = [{"type": kind, "content": [{"type": "text", "text": text}]} for kind, text in turns]
    done = _create(partner, model=MODEL, input=steps, system_instruction=SYSTEM)
    assert (done.status, _answer(done)) == ("completed", heard(prompt))
    body = model_call(partner, prompt)["body"]
    assert system_text(body) == SYSTEM
    assert history(body) == [("user", "My name is Ada."), ("model", "Hello Ada."), ("user", prompt)]


def test_multi_turn_with_a_system_prompt_by_previous_interaction_id(partner: PartnerServer) -> None:
    first_prompt, prompt = "litellm: my name is Grace.", "litellm: and my name?"
    first = _create(partner, model=MODEL, input=first_prompt, system_instruction=SYSTEM)
    done = _create(
        partner, model=MODEL, input=prompt, system_instruction=SYSTEM, previous_interaction_id=first.id
    )
    assert (done.status, _answer(done)) == ("completed", heard(prompt)), done.steps
    body = model_call(partner, prompt)["body"]
    assert system_text(body) == SYSTEM
    assert history(body) == [("user", first_prompt), ("model", heard(first_prompt)), ("user", prompt)]


def test_managed_agent(partner: PartnerServer) -> None:
    done = _create(partner, agent="default", input="litellm: hello agent")
    assert (done.status, done.agent, _answer(done)) == ("completed", "default", AGENT_ANSWER)


def test_agent_preset(partner: PartnerServer) -> None:
    done = _create(partner, agent=PRESET, input="litellm: hello preset")
    assert (done.status, done.agent, _answer(done)) == ("completed", PRESET, AGENT_ANSWER)


def test_bare_gemini_name(partner: PartnerServer) -> None:
    prompt = "litellm: bare name"
    done = litellm.interactions.create(
        model=f"gemini/{BARE}", api_base=partner.url, api_key=partner.key, input=prompt
    )
    assert (done.status, _answer(done)) == ("completed", heard(prompt))
    assert f"/models/{BARE}:" in model_call(partner, prompt)["path"]


def test_unknown_agent_is_a_404_naming_agent(partner: PartnerServer) -> None:
    with pytest.raises(litellm.NotFoundError, match="agent"):
        _create(partner, agent="no-such-agent", input="litellm: nobody")


def test_an_unknown_bare_name_is_a_400_naming_model(partner: PartnerServer) -> None:
    with pytest.raises(litellm.BadRequestError, match="model: "):
        _create(partner, model="mistral-large-2", input="litellm: nobody")
