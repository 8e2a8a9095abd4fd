"""Agents, environments and environment files through the google-genai SDK against `warren serve`."""

from __future__ import annotations

import uuid

import pytest
from google import genai
from google.genai import _interactions_errors as errors
from google.genai import errors as classic_errors

from tests.conformance.conftest import Server

pytestmark = pytest.mark.conformance


def test_agents_create_get_list_delete(client: genai.Client) -> None:
    agent_id = f"fixer-{uuid.uuid4().hex[:6]}"
    created = client.agents.create(
        id=agent_id,
        description="Fixes tests",
        system_instruction="You fix tests.",
        agent_config={"type": "antigravity", "model": "scripted:echo", "max_total_tokens": "2000"},
        tools=[{"type": "code_execution"}],
    )
    assert created.id == agent_id
    fetched = client.agents.get(id=agent_id)
    assert fetched.system_instruction == "You fix tests."
    assert fetched.agent_config.max_total_tokens == 2000
    listed = [a.id for a in client.agents.list().agents]
    assert "default" in listed and agent_id in listed
    assert client.agents.delete(id=agent_id) is not None
    with pytest.raises(errors.NotFoundError):
        client.agents.get(id=agent_id)


def test_agent_list_pages_do_not_repeat(client: genai.Client) -> None:
    ids = {f"pg-{uuid.uuid4().hex[:6]}" for _ in range(5)}
    for agent_id in ids:
        client.agents.create(id=agent_id)
    seen: list[str] = []
    token = None
    while True:
        page = client.agents.list(page_size=2, page_token=token)
        seen += [a.id for a in page.agents]
        token = page.next_page_token
        if not token:
            break
    assert ids <= set(seen) and len(seen) == len(set(seen))


def test_duplicate_agent_is_a_conflict(client: genai.Client) -> None:
    agent_id = f"dup-{uuid.uuid4().hex[:6]}"
    client.agents.create(id=agent_id)
    with pytest.raises(errors.ConflictError):
        client.agents.create(id=agent_id)


def test_environments_create_get_list_delete(client: genai.Client) -> None:
    env = client.environments.create(
        network="disabled", sources=[{"type": "inline", "content": "seeded", "target": "seed.txt"}]
    )
    assert env.status == "active" and env.id.startswith("env_")
    assert client.environments.get(id=env.id).id == env.id
    assert env.id in [e.id for e in client.environments.list().environments]
    client.environments.delete(id=env.id)
    with pytest.raises(errors.NotFoundError):
        client.environments.get(id=env.id)


def test_environments_list_filters_by_mode_and_agents_list_refuses_parent(client: genai.Client) -> None:
    """No list query is ignored: every environment here is on_demand, and there are no projects."""
    env = client.environments.create(network="disabled")
    try:
        assert env.id in [e.id for e in client.environments.list(mode="on_demand").environments or []]
        assert not client.environments.list(mode="self_hosted").environments
    finally:
        client.environments.delete(id=env.id)
    with pytest.raises(errors.BadRequestError, match="parent"):
        client.agents.list(parent="projects/elsewhere/locations/x")


def test_files_upload_list_download(client: genai.Client) -> None:
    env = client.environments.create(sources=[{"type": "inline", "content": "seeded", "target": "seed.txt"}])
    try:
        payload = b"name,score\nada,3\n" * 1000
        uploaded = client.environments.files.upload(environment=env.id, path="data/scores.csv", file=payload)
        assert uploaded.files[0].path == "data/scores.csv"
        assert uploaded.files[0].size_bytes == len(payload)
        listing = client.environments.files.list(env.id, "")
        assert {(f.path, f.type) for f in listing.files} == {("data", "directory"), ("seed.txt", "file")}
        nested = client.environments.files.list(env.id, "data")
        assert [f.name for f in nested.files] == ["scores.csv"]
        assert client.environments.files.download(environment=env.id, path="/data/scores.csv") == payload
        assert client.environments.files.download(environment=env.id, path="seed.txt") == b"seeded"
        with pytest.raises(classic_errors.ClientError):
            client.environments.files.download(environment=env.id, path="missing.txt")
    finally:
        client.environments.delete(id=env.id)


def test_another_tenant_cannot_reach_an_environment(server: Server, client: genai.Client) -> None:
    env = client.environments.create()
    other = server.client(server.other_key)
    try:
        with pytest.raises(errors.NotFoundError):
            other.environments.get(id=env.id)
        assert env.id not in [e.id for e in other.environments.list().environments or []]
        with pytest.raises(classic_errors.ClientError) as caught:
            other.environments.files.download(environment=env.id, path="x")
        assert caught.value.code == 404
    finally:
        client.environments.delete(id=env.id)
