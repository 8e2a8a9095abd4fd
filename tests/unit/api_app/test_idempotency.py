"""`Idempotency-Key` on creates: a retry gets the first resource; another body or a running first try is 409.

SECURITY-CHECKLIST "Duplicate job on client retry"; DESIGN.md section 9.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orchestrator.store import hash_request
from tests.unit.api_app.conftest import App

INTERACTIONS, AGENTS = "/v1beta/interactions", "/v1beta/agents"
JSON = {"content-type": "application/json"}

CREATES: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    # (kind, route, body, another body, table)
    (
        "interaction",
        INTERACTIONS,
        {"model": "scripted:echo", "input": "once"},
        {"model": "scripted:echo", "input": "twice"},
        "interactions",
    ),
    (
        "background interaction",
        INTERACTIONS,
        {"model": "scripted:echo", "input": "once", "background": True},
        {"model": "scripted:echo", "input": "once", "background": False},
        "interactions",
    ),
    ("agent", AGENTS, {"description": "retry me"}, {"description": "another"}, "agents"),
    (
        "agent with an id",
        AGENTS,
        {"id": "fixed", "description": "d"},
        {"id": "fixed", "description": "e"},
        "agents",
    ),
]


async def _until_finished(api: App, interaction_id: str) -> None:
    for _ in range(200):
        got = (await api.a.get(f"{INTERACTIONS}/{interaction_id}")).json()
        if got["status"] not in ("in_progress", "queued"):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"interaction {interaction_id} did not finish: {got}")


@pytest.mark.parametrize(("kind", "route", "body", "other", "table"), CREATES, ids=[c[0] for c in CREATES])
async def test_same_key_and_body_answer_the_same_resource(
    api: App, kind: str, route: str, body: dict[str, Any], other: dict[str, Any], table: str
) -> None:
    headers = {"Idempotency-Key": f"key-{kind}"}
    first = await api.a.post(route, json=body, headers=headers)
    assert first.status_code == 200, first.text
    if body.get("background"):
        await _until_finished(api, first.json()["id"])
    before = await api.settled_counts()
    again = await api.a.post(route, json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert await api.row_counts() == before, "a retry must not write anything"

    different = await api.a.post(route, json=other, headers=headers)
    assert different.status_code == 409, different.text
    error = different.json()["error"]
    assert error["code"] == "aborted"
    assert "different request body" in error["message"]
    assert await api.row_counts() == before

    fresh = await api.a.post(route, json=other | {"id": "other"} if "id" in other else other, headers={})
    assert fresh.status_code == 200
    assert fresh.json()["id"] != first.json()["id"]
    assert (await api.row_counts())[table] == before[table] + 1


async def test_key_order_and_version_segment_do_not_matter(api: App) -> None:
    headers = {"Idempotency-Key": "k-order"}
    first = await api.a.post(
        "/v1beta/agents", json={"description": "d", "system_instruction": "n"}, headers=headers
    )
    assert first.status_code == 200, first.text
    again = await api.a.post(
        "/v1/agents", content=b'{"system_instruction": "n", "description": "d"}', headers=headers | JSON
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


async def test_a_key_is_scoped_to_its_tenant(api: App) -> None:
    headers = {"Idempotency-Key": "shared-key-string"}
    mine = await api.a.post(AGENTS, json={"description": "a's"}, headers=headers)
    theirs = await api.b.post(AGENTS, json={"description": "b's, another body"}, headers=headers)
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["id"] != mine.json()["id"]
    same_body = await api.b.post(AGENTS, json={"description": "a's"}, headers={"Idempotency-Key": "k2"})
    assert same_body.status_code == 200
    replay_a = await api.a.post(AGENTS, json={"description": "a's"}, headers=headers)
    assert replay_a.json()["id"] == mine.json()["id"]
    assert (await api.b.get(f"{AGENTS}/{mine.json()['id']}")).status_code == 404


async def test_a_key_used_on_another_route_is_a_conflict(api: App) -> None:
    headers = {"Idempotency-Key": "cross-route"}
    assert (await api.a.post(AGENTS, json={}, headers=headers)).status_code == 200
    response = await api.a.post(INTERACTIONS, json={"model": "scripted:echo", "input": "x"}, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "aborted"


async def test_a_request_still_in_progress_is_a_conflict(api: App) -> None:
    body = {"description": "slow"}
    store = api.services.store
    await store.idempotency.reserve(
        "tenant-a", "busy", hash_request("POST", "/{api_version}/agents", body), "agent"
    )
    before = await api.row_counts()
    response = await api.a.post(AGENTS, json=body, headers={"Idempotency-Key": "busy"})
    assert response.status_code == 409, response.text
    assert "in progress" in response.json()["error"]["message"]
    assert await api.row_counts() == before


async def test_concurrent_retries_create_once(api: App) -> None:
    body = {"description": "raced"}
    responses = await asyncio.gather(
        *(api.a.post(AGENTS, json=body, headers={"Idempotency-Key": "race"}) for _ in range(8))
    )
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {200, 409}, codes
    ids = {r.json()["id"] for r in responses if r.status_code == 200}
    assert len(ids) == 1, f"one agent, answered to every winner: {ids}"
    listed = (await api.a.get(AGENTS)).json()["agents"]
    assert sum(a.get("description") == "raced" for a in listed) == 1


async def test_a_failed_create_releases_the_key(api: App) -> None:
    headers = {"Idempotency-Key": "fails-first"}
    bad = await api.a.post(AGENTS, json={"base_agent": "missing"}, headers=headers)
    assert bad.status_code in (400, 404), bad.text
    assert await api.services.store.idempotency.lookup("tenant-a", "fails-first") is None
    good = await api.a.post(AGENTS, json={"description": "fixed"}, headers=headers)
    assert good.status_code == 200, good.text


async def test_a_replayed_resource_that_was_deleted_is_not_found(api: App) -> None:
    headers = {"Idempotency-Key": "deleted-later"}
    made = (await api.a.post(AGENTS, json={}, headers=headers)).json()
    assert (await api.a.delete(f"{AGENTS}/{made['id']}")).status_code == 200
    again = await api.a.post(AGENTS, json={}, headers=headers)
    assert again.status_code == 404
    assert made["id"] in again.json()["error"]["message"]


@pytest.mark.parametrize("key", ["", "x" * 256])
async def test_a_malformed_key_is_a_400_naming_the_header(api: App, key: str) -> None:
    response = await api.a.post(AGENTS, json={}, headers={"Idempotency-Key": key})
    assert response.status_code == 400, response.text
    assert "Idempotency-Key" in response.json()["error"]["message"]


async def test_a_stream_retry_replays_the_first_interaction(api: App) -> None:
    body = {"model": "scripted:echo", "input": "stream once", "stream": True}
    headers = {"Idempotency-Key": "stream-key"}
    texts = []
    for _ in range(2):
        async with api.a.stream("POST", INTERACTIONS, json=body, headers=headers) as response:
            assert response.status_code == 200
            texts.append("".join([chunk async for chunk in response.aiter_text()]))
    first_id = texts[0].split('"id":"', 1)[1].split('"', 1)[0]
    assert f'"id":"{first_id}"' in texts[1]
    assert (await api.row_counts())["interactions"] == 1
