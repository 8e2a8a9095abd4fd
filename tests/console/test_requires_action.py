"""When an interaction ends `requires_action`, the console offers a form for the client function's
result; sending it starts the next turn with `previous_interaction_id` (issue 16, item 3)."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import Console, Watched, sign_in

TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


def test_the_function_result_form_answers_the_call(console: Console, watched: Watched) -> None:
    with console.http(console.key_a) as a:
        first = a.post(
            "/v1beta/interactions", json={"model": "scripted:weather", "input": "weather?", "tools": TOOLS}
        ).json()
    assert first["status"] == "requires_action"
    page = watched.page
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/interactions/{first['id']}")
    expect(page.get_by_test_id("status")).to_have_text("requires_action")
    page.get_by_label("Result of get_weather").fill('{"temp_c": 21}')
    page.get_by_role("button", name="Send results").click()
    expect(page).not_to_have_url(f"{console.url}/console#/interactions/{first['id']}")
    expect(page.get_by_test_id("status")).to_have_text("completed")
    expect(page.locator("li.step-model_output")).to_contain_text("21")
    second_id = page.url.rsplit("/", 1)[-1]
    with console.http(console.key_a) as a:
        second = a.get(f"/v1beta/interactions/{second_id}", params={"include_input": "true"}).json()
    assert second["previous_interaction_id"] == first["id"]
    assert second["input"][0]["result"] == {"temp_c": 21}
    assert watched.errors == []


def test_an_approval_request_is_answered_with_approve_or_deny(console: Console, watched: Watched) -> None:
    config = {
        "type": "antigravity",
        "model": "scripted:approval_rm",
        "require_approval": [{"tool": "^run_code$", "arguments": r"\brm\b", "reason": "it deletes files"}],
    }
    page = watched.page
    sign_in(page, console, console.key_a)
    for choice, ran in (("Deny", False), ("Approve", True)):
        with console.http(console.key_a) as a:
            first = a.post(
                "/v1beta/interactions", json={"agent": "default", "agent_config": config, "input": "go"}
            ).json()
        assert first["status"] == "requires_action", first
        page.goto(f"{console.url}/console#/interactions/{first['id']}")
        approval = page.get_by_test_id("approval")
        expect(approval).to_contain_text("it deletes files")
        expect(approval.locator("pre")).to_contain_text("rm -f keep.txt")
        if not ran:
            page.get_by_label("Reason, if you deny").fill("not today")
        page.get_by_role("button", name=choice, exact=True).click()
        expect(page).not_to_have_url(f"{console.url}/console#/interactions/{first['id']}")
        expect(page.get_by_test_id("status")).to_have_text("completed")
        expect(page.locator("li.step-model_output")).to_contain_text("removed" if ran else "not today")
        expect(page.get_by_test_id("sandbox-usage")).to_contain_text("CPU")  # what the sandbox spent
        with console.http(console.key_a) as a:
            gone = a.get(
                f"/v1beta/environments/{first['environment_id']}/files/gone.txt", params={"alt": "media"}
            )
        assert (gone.status_code == 200) is ran, f"{choice}: the guarded command ran only once approved"
    assert watched.errors == []
