"""Agent aliases and the built-in `research` agent (issue 22, item 2), resolved against a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.catalog import DEFAULT_AGENT, RESEARCH_AGENT, AgentAliases, resolve_agent
from orchestrator.config import Settings
from orchestrator.errors import NotFound
from orchestrator.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as opened:
        yield opened


def test_google_presets_stand_for_warren_agents() -> None:
    aliases = AgentAliases()
    assert aliases.target("antigravity-preview-05-2026") == "default"
    assert aliases.target("deep-research-preview-04-2026") == "research"
    assert aliases.target("default") is None and aliases.target("antigravity") is None
    shown = aliases.builtin("antigravity-preview-05-2026")
    assert shown == {**DEFAULT_AGENT, "id": "antigravity-preview-05-2026"}
    assert aliases.builtin("research") == RESEARCH_AGENT and aliases.builtin("coder") is None


def test_operators_add_and_change_names() -> None:
    aliases = AgentAliases(Settings(agent_aliases="deep-research-*=coder,helper=research").agent_aliases)
    assert aliases.target("deep-research-preview-04-2026") == "coder"
    assert aliases.target("helper") == "research"
    assert aliases.target("antigravity-preview-05-2026") == "default"  # the presets stay
    for bad in ({"x": "a/b"}, {"default": "research"}, {"*": "default"}, {"research*": "default"}):
        with pytest.raises(ValueError, match="WARREN_AGENT_ALIASES"):
            AgentAliases(bad)


async def test_the_research_chain_ends_with_default(store: Store) -> None:
    chain = await resolve_agent(store, "t", "deep-research-preview-04-2026")
    assert [spec["id"] for spec in chain] == ["research", "default"]
    assert chain[0]["skills"] == ["web-research", "report-writing"]


async def test_an_alias_reaches_a_stored_agent_and_unknown_names_stay_404(store: Store) -> None:
    await store.agents.create("t", "coder", {"id": "coder", "base_agent": "antigravity-preview-05-2026"})
    aliases = AgentAliases({"my-coder": "coder"})
    chain = await resolve_agent(store, "t", "my-coder", aliases=aliases)
    assert [spec["id"] for spec in chain] == ["coder", "default"]
    with pytest.raises(NotFound) as caught:
        await resolve_agent(store, "other-tenant", "my-coder", aliases=aliases)
    assert caught.value.field == "agent"
    with pytest.raises(NotFound):
        await resolve_agent(store, "t", "antigravity")
