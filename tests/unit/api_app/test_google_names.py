"""Bare model names and agent aliases through the real app (issue 22): the operator's settings apply
to interactions and agent definitions, and what nothing serves is a 400 naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.config import Settings
from tests.unit.api_app.conftest import App, start_app

V = "/v1beta"


@pytest.fixture
async def named(tmp_path: Path) -> AsyncIterator[App]:
    """An app whose operator serves `gemini-3-flash-preview` offline and names one more agent."""
    settings = Settings(
        data_dir=tmp_path / "data",
        sandboxes=False,
        model_aliases="gemini-3-flash-preview=scripted:echo",
        agent_aliases="helper=research",
    )
    async for started in start_app(settings):
        yield started


async def test_an_aliased_bare_name_answers_under_the_name_sent(named: App) -> None:
    answer = await named.a.post(f"{V}/interactions", json={"model": "gemini-3-flash-preview", "input": "hi"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "completed" and answer.json()["model"] == "gemini-3-flash-preview"


@pytest.mark.parametrize("model", ["gpt-5", "echo", "sk-live-0123456789abcdef"])
async def test_a_bare_name_nothing_serves_is_400_naming_the_field(named: App, model: str) -> None:
    before = await named.settled_counts()
    answer = await named.a.post(f"{V}/interactions", json={"model": model, "input": "hi"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["details"][0]["fieldViolations"][0]["field"] == "model"
    body = {"id": "bare", "agent_config": {"type": "antigravity", "model": model}}
    answer = await named.a.post(f"{V}/agents", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["details"][0]["fieldViolations"][0]["field"] == "agent_config.model"
    assert model not in answer.text
    assert await named.settled_counts() == before


async def test_agents_get_answers_an_alias_under_its_name(named: App) -> None:
    for name, instruction in (
        ("antigravity-preview-05-2026", "Linux sandbox"),
        ("helper", "cites its source"),
    ):
        answer = await named.a.get(f"{V}/agents/{name}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["id"] == name and instruction in answer.json()["system_instruction"]
    assert (await named.a.get(f"{V}/agents/antigravity")).status_code == 404


async def test_built_in_names_cannot_be_taken_or_deleted_but_can_be_extended(named: App) -> None:
    for taken in ("research", "helper", "deep-research-preview-04-2026"):
        answer = await named.a.post(f"{V}/agents", json={"id": taken})
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["details"][0]["fieldViolations"][0]["field"] == "id"
    assert (await named.a.delete(f"{V}/agents/research")).status_code == 400
    body = {
        "id": "mine",
        "base_agent": "deep-research-preview-04-2026",
        "agent_config": {"model": "gemini-3-pro"},
    }
    answer = await named.a.post(f"{V}/agents", json=body)
    assert answer.status_code == 200, answer.text
