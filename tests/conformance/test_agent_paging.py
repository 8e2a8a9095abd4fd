"""`agents.list` through the google-genai SDK: `default` is inside the paging (issue 15, defect 4)."""

from __future__ import annotations

import uuid

import pytest
from google import genai

pytestmark = pytest.mark.conformance


@pytest.mark.parametrize("page_size", [1, 2])
def test_sdk_pages_hold_at_most_page_size_and_every_agent_once(client: genai.Client, page_size: int) -> None:
    ids = [f"pages-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    for agent_id in ids:
        client.agents.create(id=agent_id)
    pages: list[list[str]] = []
    token = None
    while True:
        page = client.agents.list(page_size=page_size, page_token=token)
        pages.append([str(agent.id) for agent in page.agents or []])
        token = page.next_page_token
        if not token:
            break
    seen = [agent_id for page_ids in pages for agent_id in page_ids]
    assert all(1 <= len(page_ids) <= page_size for page_ids in pages), pages
    assert seen[0] == "default" and len(seen) == len(set(seen)) and set(ids) <= set(seen)
    for agent_id in ids:
        client.agents.delete(id=agent_id)
