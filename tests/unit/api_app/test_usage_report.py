"""`GET /{v}/usage` (Warren extension for the console's usage page): the caller's tenant's tokens per
UTC day from the counters quotas use, summed over its keys, never another tenant's; the sandbox count
against the cap; `days` bounded and named when wrong."""

from __future__ import annotations

from datetime import timedelta

from orchestrator.store.models import utcnow
from tests.unit.api_app.conftest import App


async def test_tokens_per_day_of_the_caller_s_tenant_only(api: App) -> None:
    usage = api.services.store.usage
    today = utcnow().date()
    old, recent = today - timedelta(days=40), today - timedelta(days=2)
    wire = {
        "total_input_tokens": 100,
        "total_output_tokens": 20,
        "total_thought_tokens": 5,
        "total_tokens": 125,
    }
    await usage.record("tenant-a", wire, api_key_id="k1", interactions=1, day=recent)
    await usage.record("tenant-a", wire, api_key_id="k2", interactions=1, day=recent)  # another key
    await usage.record("tenant-a", wire, api_key_id="k1", interactions=1, day=today)
    await usage.record("tenant-a", wire, api_key_id="k1", interactions=1, day=old)  # before the window
    await usage.record("tenant-b", {"total_tokens": 999}, api_key_id="kb", interactions=1, day=today)

    answer = await api.a.get("/v1beta/usage")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(d["day"], d["interactions"], int(d["total_tokens"])) for d in body["days"]] == [
        (recent.isoformat(), 2, 250),
        (today.isoformat(), 1, 125),
    ]
    assert int(body["days"][0]["input_tokens"]) == 200 and int(body["days"][0]["thought_tokens"]) == 10
    assert body["sandboxes"] == {"running": 0, "max": api.services.settings.tenant_max_sandboxes}
    assert int(body["token_quota"]["limit"]) == 0
    wide = (await api.a.get("/v1beta/usage", params={"days": 60})).json()
    assert len(wide["days"]) == 3
    other = (await api.b.get("/v1beta/usage")).json()
    assert [int(d["total_tokens"]) for d in other["days"]] == [999]


async def test_days_out_of_range_is_refused_by_name(api: App) -> None:
    for days in (0, 367, "x"):
        answer = await api.a.get("/v1beta/usage", params={"days": days})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["message"].startswith("days: "), answer.text
