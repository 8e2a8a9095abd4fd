"""The built-in `default` and `research` agents are inside the paging of `agents.list` (issue 15,
defect 4; issue 22).

They lead the first page and count against `page_size`; walking every page yields every agent
exactly once, and no page is longer than asked for.
"""

from __future__ import annotations

import pytest

from tests.unit.api_app.conftest import App

CUSTOM = [f"paged-{i}" for i in range(5)]


async def _walk(api: App, page_size: int) -> list[list[str]]:
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        params: dict[str, str | int] = {"page_size": page_size} | ({"page_token": token} if token else {})
        answer = await api.a.get("/v1beta/agents", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append([agent["id"] for agent in body["agents"]])
        token = body.get("next_page_token")
        if not token:
            return pages


@pytest.mark.parametrize("page_size", [1, 2, 3, 6, 7])
async def test_pages_hold_at_most_page_size_and_every_agent_once(api: App, page_size: int) -> None:
    for agent_id in CUSTOM:
        created = await api.a.post("/v1beta/agents", json={"id": agent_id})
        assert created.status_code == 200, created.text

    pages = await _walk(api, page_size)

    assert all(1 <= len(page) <= page_size for page in pages), pages
    assert [agent for page in pages for agent in page] == ["default", "research", *CUSTOM]


@pytest.mark.parametrize(
    ("page_size", "pages"), [(1, [["default"], ["research"]]), (2, [["default", "research"]])]
)
async def test_without_agents_the_built_in_ones_alone_are_listed(
    api: App, page_size: int, pages: list[list[str]]
) -> None:
    assert await _walk(api, page_size) == pages


@pytest.mark.parametrize("token", ["builtins.0", "builtins.2", "builtins.x", "builtins."])
async def test_a_forged_built_in_token_is_refused_naming_it(api: App, token: str) -> None:
    answer = await api.a.get("/v1beta/agents", params={"page_token": token})
    assert answer.status_code == 400 and "page_token" in answer.text, answer.text
