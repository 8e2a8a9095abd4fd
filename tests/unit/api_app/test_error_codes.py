"""Error bodies use the codes and statuses of Google's Interactions API error reference (issue 15, defect 5).

`{"error": {"code": "<code>", "message": ...}}` with Google's lowercase codes (`invalid_request`,
`authentication`, `model_not_found`, ...); Warren adds the field path to the message and a
`google.rpc.BadRequest` detail naming it.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.unit.api_app.conftest import App

V = "/v1beta"


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


def _names(error: dict[str, Any], field: str) -> None:
    assert error["message"].startswith(f"{field}: "), error
    assert [v["field"] for v in error["details"][0]["fieldViolations"]] == [field], error


async def test_an_unknown_model_is_404_model_not_found_naming_the_field(api: App) -> None:
    answer = await api.a.post(f"{V}/interactions", json={"model": "nosuch:model-1", "input": "hi"})
    _names(_error(answer, 404, "model_not_found"), "model")

    agent = {"id": "nosuch", "agent_config": {"type": "antigravity", "model": "nosuch:model-1"}}
    _names(_error(await api.a.post(f"{V}/agents", json=agent), 404, "model_not_found"), "agent_config.model")


async def test_an_unknown_model_beside_another_bad_field_is_an_invalid_request(api: App) -> None:
    body = {"model": "nosuch:model-1", "input": "hi", "stream": "yes please"}
    error = _error(await api.a.post(f"{V}/interactions", json=body), 400, "invalid_request")
    assert {v["field"] for v in error["details"][0]["fieldViolations"]} == {"model", "stream"}


async def test_a_malformed_model_name_stays_an_invalid_request(api: App) -> None:
    answer = await api.a.post(f"{V}/interactions", json={"model": "gemini:../../files", "input": "hi"})
    _names(_error(answer, 400, "invalid_request"), "model")


async def test_the_other_codes_of_the_reference(api: App) -> None:
    bad = await api.a.post(f"{V}/interactions", json={"model": "scripted:echo", "input": "hi", "colour": 1})
    _names(_error(bad, 400, "invalid_request"), "colour")
    _error(await api.a.get(f"{V}/interactions/int_nope"), 404, "not_found")
    _error(await api.a.post(f"{V}/agents", json={"id": "default"}), 409, "already_exists")
    anonymous = httpx.AsyncClient(transport=api.a._transport, base_url="http://t")
    async with anonymous:
        _error(await anonymous.get(f"{V}/agents"), 401, "authentication")
