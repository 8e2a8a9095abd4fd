"""Agents in the console (issue 16, item 6): the API's field errors appear next to the field they
name and nothing is saved; a good agent is listed, edited and deleted; another tenant never sees it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import Console, Watched, sign_in


def _open(page: Page, console: Console, key: str) -> None:
    sign_in(page, console, key)
    page.get_by_role("link", name="Agents").click()
    expect(page.locator("tr[data-agent=default]")).to_be_visible()


def _exists(console: Console, agent_id: str) -> bool:
    with console.http(console.key_a) as a:
        return a.get(f"/v1beta/agents/{agent_id}").status_code == 200


def test_a_bad_field_is_shown_next_to_it_and_nothing_is_saved(console: Console, watched: Watched) -> None:
    page = watched.page
    _open(page, console, console.key_a)
    page.locator("#agent-id").fill("analyst")
    page.locator("#agent-model").fill("nope:some-model")
    page.get_by_role("button", name="Create agent").click()
    model_error = page.locator("#model-error")
    expect(model_error).to_contain_text("agent_config.model")
    expect(model_error).to_contain_text("unknown model provider 'nope'")
    expect(page.locator("#agent-model")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id-error")).to_have_count(0)
    assert not _exists(console, "analyst")

    page.locator("#agent-model").fill("scripted:demo")
    page.locator("#agent-skills").fill("no-such-skill")
    page.get_by_role("button", name="Create agent").click()
    expect(page.locator("#skills-error")).to_contain_text("no bundled skill 'no-such-skill'")
    expect(page.locator("#model-error")).to_have_count(0)
    assert not _exists(console, "analyst")


def test_an_agent_is_created_listed_hidden_from_other_tenants_and_deleted(
    console: Console, watched: Watched
) -> None:
    page = watched.page
    _open(page, console, console.key_a)
    page.locator("#agent-id").fill("reporter")
    page.locator("#agent-description").fill("writes reports")
    page.locator("#agent-model").fill("scripted:demo")
    page.locator("#agent-skills").fill("data-analysis, report-writing")
    page.locator("#agent-allowlist").fill("pypi.org\nfiles.pythonhosted.org")
    page.get_by_role("button", name="Create agent").click()
    row = page.locator("tr[data-agent=reporter]")
    expect(row).to_contain_text("writes reports")
    with console.http(console.key_a) as a:
        stored = a.get("/v1beta/agents/reporter").json()
    assert stored["skills"] == ["data-analysis", "report-writing"]
    assert [e["domain"] for e in stored["base_environment"]["network"]["allowlist"]] == [
        "pypi.org",
        "files.pythonhosted.org",
    ]

    page.get_by_role("button", name="Sign out").click()
    _open(page, console, console.key_b)
    expect(page.locator("tr[data-agent=reporter]")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    _open(page, console, console.key_a)
    watched.accept_confirms = True
    page.locator("tr[data-agent=reporter]").get_by_role("button", name="Delete").click()
    expect(page.locator("tr[data-agent=reporter]")).to_have_count(0)
    assert not _exists(console, "reporter")


def test_an_agent_is_edited_in_place_and_a_bad_edit_saves_nothing(console: Console, watched: Watched) -> None:
    spec = {
        "id": "editor",
        "system_instruction": "be brief",
        "agent_config": {"type": "antigravity", "model": "scripted:demo", "max_steps": 7},
        "tools": [{"type": "code_execution"}, {"type": "function", "name": "lookup"}],
    }
    with console.http(console.key_a) as a:
        assert a.post("/v1beta/agents", json=spec).status_code == 200
    page = watched.page
    _open(page, console, console.key_a)
    page.get_by_role("button", name="Edit editor", exact=True).click()
    expect(page.get_by_role("heading", name="Edit agent editor")).to_be_visible()
    expect(page.locator("#agent-instructions")).to_have_value("be brief")
    page.locator("#agent-model").fill("nope:some-model")
    page.get_by_role("button", name="Save agent").click()
    expect(page.locator("#model-error")).to_contain_text("agent_config.model")
    with console.http(console.key_a) as a:
        assert a.get("/v1beta/agents/editor").json()["agent_config"]["model"] == "scripted:demo"

    page.locator("#agent-model").fill("scripted:demo")
    page.locator("#agent-instructions").fill("be thorough")
    page.locator("#agent-description").fill("edited in the console")
    page.get_by_role("button", name="Save agent").click()
    expect(page.locator("tr[data-agent=editor]")).to_contain_text("edited in the console")
    with console.http(console.key_a) as a:
        stored = a.get("/v1beta/agents/editor").json()
        a.delete("/v1beta/agents/editor")
    assert stored["system_instruction"] == "be thorough"
    assert stored["agent_config"] == spec["agent_config"], "the fields the form does not show are kept"
    assert stored["tools"] == spec["tools"]
