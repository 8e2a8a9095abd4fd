"""`PATCH /{v}/agents/{id}` (Warren's extension the console edits agents with): the fields a mask or
the body names change, everything is checked like a create and a refusal names its field and stores
nothing, a built-in agent cannot change, no agent may become its own base, and tenants stay apart."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.unit.api_app.conftest import App

AGENT = "/v1beta/agents"


async def _made(api: App, **spec: Any) -> dict[str, Any]:
    made = await api.a.post(AGENT, json={"id": "editable", "system_instruction": "be brief", **spec})
    assert made.status_code == 200, made.text
    body: dict[str, Any] = made.json()
    return body


def _field(answer: httpx.Response) -> str:
    assert answer.status_code == 400, answer.text
    return str(answer.json()["error"]["message"]).split(":")[0]


async def test_the_body_s_fields_change_and_the_rest_stays(api: App) -> None:
    await _made(api, description="old")
    changed = await api.a.patch(f"{AGENT}/editable", json={"system_instruction": "be thorough"})
    assert changed.status_code == 200, changed.text
    stored = (await api.a.get(f"{AGENT}/editable")).json()
    assert stored["system_instruction"] == "be thorough" and stored["description"] == "old"
    assert changed.json() == stored


async def test_a_mask_names_the_fields_and_clears_those_the_body_leaves_out(api: App) -> None:
    await _made(api, description="old")
    body = {"agent_config": {"type": "antigravity", "model": "scripted:demo"}}
    changed = await api.a.patch(
        f"{AGENT}/editable", params={"update_mask": "agent_config,description"}, json=body
    )
    assert changed.status_code == 200, changed.text
    stored = (await api.a.get(f"{AGENT}/editable")).json()
    assert "description" not in stored and stored["agent_config"]["model"] == "scripted:demo"


@pytest.mark.parametrize(
    ("params", "body", "field"),
    [
        ({}, {"agent_config": {"type": "antigravity", "model": "nobody:serves-this"}}, "agent_config.model"),
        ({}, {"base_agent": "ghost"}, "base_agent"),
        ({}, {"tools": [{"type": "computer_use"}]}, "tools[0].type"),
        ({}, {"id": "renamed"}, "id"),
        ({"update_mask": "id"}, {}, "update_mask"),
        (
            {},
            {"agent_config": {"type": "antigravity", "require_approval": [{"tool": "("}]}},
            "agent_config.require_approval[0].tool",
        ),
    ],
)
async def test_a_bad_field_is_refused_by_name_and_nothing_changes(
    api: App, params: dict[str, str], body: dict[str, Any], field: str
) -> None:
    before = await _made(api)
    answer = await api.a.patch(f"{AGENT}/editable", params=params, json=body)
    assert answer.status_code in (400, 404), answer.text
    assert str(answer.json()["error"]["message"]).startswith(f"{field}: ") or field in answer.text
    assert (await api.a.get(f"{AGENT}/editable")).json() == before


async def test_no_agent_becomes_its_own_base(api: App) -> None:
    await _made(api)
    child = await api.a.post(AGENT, json={"id": "child", "base_agent": "editable"})
    assert child.status_code == 200, child.text
    for base in ("editable", "child"):
        answer = await api.a.patch(f"{AGENT}/editable", json={"base_agent": base})
        assert _field(answer) == "base_agent", answer.text
    assert "base_agent" not in (await api.a.get(f"{AGENT}/editable")).json()


async def test_built_in_agents_cannot_change_and_another_tenant_s_agent_is_not_found(api: App) -> None:
    await _made(api)
    builtin = await api.a.patch(f"{AGENT}/default", json={"system_instruction": "x"})
    assert builtin.status_code == 400 and "cannot be changed" in builtin.text
    other = await api.b.patch(f"{AGENT}/editable", json={"system_instruction": "mine now"})
    assert other.status_code == 404, other.text
    assert (await api.a.get(f"{AGENT}/editable")).json()["system_instruction"] == "be brief"
