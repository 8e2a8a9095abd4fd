"""Paging: every row exactly once, in a stable order, even while rows are added between pages."""

from __future__ import annotations

import pytest

from orchestrator.store import InteractionCreate, InvalidPageTokenError, Store
from orchestrator.store.environment_spec import EnvironmentSpec


async def test_agent_pages_have_no_repeats_and_no_gaps(store: Store) -> None:
    ids = [f"agent-{i:02d}" for i in range(23)]
    for agent_id in ids:
        await store.agents.create("t1", agent_id, {})
    await store.agents.create("t2", "other", {})

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = await store.agents.list("t1", page_size=5, page_token=token)
        seen += [a.id for a in page.items]
        pages += 1
        if pages == 2:
            await store.agents.create("t1", "agent-late", {})  # newest: must show up at the end
        token = page.next_page_token
        if token is None:
            break
    assert seen == [*ids, "agent-late"]
    assert pages == 5


async def test_interactions_page_by_environment(store: Store) -> None:
    made = [
        (await store.interactions.create("t1", InteractionCreate(request={}, environment_id="env_x"))).id
        for _ in range(7)
    ]
    await store.interactions.create("t1", InteractionCreate(request={}, environment_id="env_y"))
    first = await store.interactions.list("t1", environment_id="env_x", page_size=4)
    second = await store.interactions.list(
        "t1", environment_id="env_x", page_size=4, page_token=first.next_page_token
    )
    assert [i.id for i in first.items + second.items] == made
    assert second.next_page_token is None
    assert len((await store.interactions.list("t1")).items) == 8


async def test_environment_pages_and_exact_fit(store: Store) -> None:
    for i in range(4):
        await store.environments.create("t1", f"env_{i}", EnvironmentSpec())
    page = await store.environments.list("t1", page_size=4)
    assert len(page.items) == 4 and page.next_page_token is None, "no empty trailing page"
    page = await store.environments.list("t1", page_size=0)
    assert len(page.items) == 4, "0 means the default page size"


@pytest.mark.parametrize("token", ["garbage!", "e30", "WyJ4IiwxXQ", "WyIyMDI1LTAxLTAxVDAwOjAwOjAwIiwiYSJd"])
async def test_bad_page_tokens_are_refused(store: Store, token: str) -> None:
    with pytest.raises(InvalidPageTokenError) as info:
        await store.agents.list("t1", page_token=token)
    assert isinstance(info.value, ValueError)
