"""Tenant B's key sees none of tenant A's interactions or environments in the console (issue 16)."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import Console, Watched, sign_in


def test_tenant_b_sees_none_of_tenant_as_interactions(console: Console, watched: Watched) -> None:
    with console.http(console.key_a) as a:
        secret = a.post(
            "/v1beta/interactions", json={"model": "scripted:echo", "input": "A's secret plan"}
        ).json()
        environment = a.post("/v1beta/environments", json={}).json()
    page = watched.page
    sign_in(page, console, console.key_a)
    expect(page.locator("table.list")).to_contain_text(secret["id"])  # A sees its own

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, console, console.key_b)
    expect(page.get_by_test_id("tenant")).to_contain_text("console-b")
    expect(page.locator("table.list thead")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert secret["id"] not in page.locator("main").inner_text()

    page.goto(f"{console.url}/console#/interactions/{secret['id']}")
    expect(page.get_by_role("alert").first).to_contain_text("not found")
    assert "A's secret plan" not in page.content()
    expect(page.locator("li.step")).to_have_count(0)

    page.goto(f"{console.url}/console#/environments/{environment['id']}")
    expect(page.get_by_role("alert").first).to_contain_text("not found")
    expect(page.locator("table.files tbody tr")).to_have_count(0)
