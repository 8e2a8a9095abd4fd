"""Accessibility (issue 16): axe-core, pinned in console/package-lock.json, reports no serious or
critical violation on each page of the console, and the main flow works with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import Console, sign_in

AXE = Path(__file__).resolve().parents[2] / "console" / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (make test-deps)")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # axe is injected as a script of the test's own: only this context bypasses the page's CSP.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)"""
    )
    return list(found)


def test_no_serious_or_critical_violation_on_any_page(console: Console, page: Page) -> None:
    with console.http(console.key_a) as a:
        done = a.post("/v1beta/interactions", json={"model": "scripted:echo", "input": "**hello**"}).json()
        environment = a.post("/v1beta/environments", json={}).json()["id"]
    page.goto(f"{console.url}/console")
    expect(page.get_by_label("API key")).to_be_visible()
    problems = {"sign in": _violations(page)}
    sign_in(page, console, console.key_a)
    pages = {
        "interactions": ("#/interactions", "table.list tbody tr"),
        "interaction": (f"#/interactions/{done['id']}", "li.step"),
        "new run": ("#/new", "#task"),
        "agents": ("#/agents", "tr[data-agent=default]"),
        "usage": ("#/usage", "[data-testid=sandboxes]"),
        "environment": (f"#/environments/{environment}", "table.files"),
    }
    for name, (fragment, ready) in pages.items():
        page.goto(f"{console.url}/console{fragment}")
        page.locator(ready).first.wait_for()
        problems[name] = _violations(page)
    assert all(not found for found in problems.values()), problems


def test_sign_in_and_a_new_run_with_the_keyboard_alone(console: Console, page: Page) -> None:
    page.goto(f"{console.url}/console")
    page.keyboard.press("Tab")  # the key field is the first stop
    page.keyboard.type(console.key_a)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("tenant")).to_contain_text("console-a")
    page.keyboard.press("Tab")  # Warren
    page.keyboard.press("Tab")  # Interactions
    page.keyboard.press("Tab")  # New run
    expect(page.get_by_role("link", name="New run")).to_be_focused()
    page.keyboard.press("Enter")
    agent = page.get_by_label("Agent", exact=True)
    expect(agent).to_be_visible()
    agent.focus()
    page.keyboard.press("End")  # the last choice: a model alone
    page.keyboard.press("Tab")
    page.keyboard.type("scripted:echo")
    page.keyboard.press("Tab")
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Start")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("status")).to_have_text("completed")
    expect(page.locator("li.step-model_output")).to_contain_text("typed without a mouse")
