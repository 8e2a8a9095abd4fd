"""A 2,000-step interaction in the console (issue 16): the timeline is a windowed list. A real agent run
(`scripted:long_timeline`: 40 rounds of a text and 25 built-in calls in a real sandbox, 2,041 steps
after the input) is watched live, where the view follows its newest steps, and opened once stored,
where the first screen shows its first steps, the DOM holds far fewer than 2,000 steps, and the
keyboard (End, Home, arrows) and scrolling reach every part of it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import Console, Watched, sign_in

AXE = Path(__file__).resolve().parents[2] / "console" / "node_modules" / "axe-core" / "axe.min.js"
STEPS = 2041
"""Steps after the input: 40 texts, 1,000 calls and 1,000 results, the answer."""
MOST_RENDERED = 300


@pytest.fixture(scope="module")
def long_run(console: Console) -> Iterator[str]:
    """The id of a `scripted:long_timeline` agent run, started in the background."""
    with console.http(console.key_a) as client:
        created = client.post(
            "/v1beta/interactions",
            json={
                "agent": "default",
                "agent_config": {"type": "antigravity", "model": "scripted:long_timeline"},
                "input": "Run the checks.",
                "background": True,
                "environment": {"type": "remote", "network": "disabled"},
            },
        ).json()
    yield created["id"]
    with console.http(console.key_a) as client:
        client.post(f"/v1beta/interactions/{created['id']}/cancel")


def _completed(console: Console, interaction_id: str) -> dict[str, object]:
    with console.http(console.key_a) as client:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            body = dict(client.get(f"/v1beta/interactions/{interaction_id}").json())
            if body["status"] not in ("queued", "in_progress"):
                assert body["status"] == "completed", body.get("errors")
                return body
            time.sleep(1)
    raise AssertionError(f"{interaction_id} still running after 300 s")


def _rendered(page: Page) -> list[int]:
    return [int(i) for i in page.locator("li.step").evaluate_all("steps => steps.map(s => s.dataset.index)")]


def test_a_long_run_watched_live_follows_its_newest_steps(
    console: Console, watched: Watched, long_run: str
) -> None:
    page = watched.page
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/interactions/{long_run}")
    expect(page.get_by_test_id("status")).to_have_text("in_progress")
    box = page.get_by_role("region", name="Step timeline")
    page.wait_for_function(
        "() => document.querySelectorAll('li.step').length > 0"
        " && document.querySelector('.timeline-box').scrollTop > 0",
        timeout=120_000,
    )  # steps beyond the first screen arrived, and the view moved down with them
    expect(page.get_by_test_id("status")).to_have_text("completed", timeout=300_000)
    last = page.locator(f"li.step[data-index='{STEPS}']")
    box.evaluate("b => b.scrollIntoView({block: 'end'})")  # the page to the box's bottom, not the box
    expect(last).to_be_in_viewport()  # the box followed to the end without a key or a scroll by the user
    expect(last).to_contain_text("All 40 rounds done.")
    assert len(_rendered(page)) < MOST_RENDERED
    assert box.evaluate("b => b.scrollHeight - b.clientHeight - b.scrollTop") <= 2
    assert watched.dialogs == [] and watched.errors == []


def test_a_stored_2000_step_run_shows_its_first_steps_and_scrolls_to_its_last(
    console: Console, watched: Watched, long_run: str
) -> None:
    stored = _completed(console, long_run)
    steps = stored["steps"]
    assert isinstance(steps, list) and len(steps) == STEPS + 1
    page = watched.page
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/interactions/{long_run}")
    expect(page.get_by_test_id("status")).to_have_text("completed")
    first = page.locator("li.step[data-index='1']")
    expect(first).to_be_in_viewport()
    expect(first).to_have_attribute("aria-setsize", str(STEPS))  # every step is known, few are drawn
    expect(first).to_have_attribute("aria-posinset", "1")
    rendered = _rendered(page)
    assert rendered[0] == 1 and rendered == list(range(1, len(rendered) + 1))
    assert 10 < len(rendered) < MOST_RENDERED, len(rendered)

    box = page.get_by_role("region", name="Step timeline")
    box.focus()
    page.keyboard.press("End")
    last = page.locator(f"li.step[data-index='{STEPS}']")
    expect(last).to_be_focused()
    expect(last).to_be_in_viewport()
    expect(last).to_contain_text("All 40 rounds done.")
    expect(last).to_have_attribute("aria-posinset", str(STEPS))
    rendered = _rendered(page)
    assert rendered[-1] == STEPS and len(rendered) < MOST_RENDERED, len(rendered)
    shown = page.locator("li.step").evaluate_all("steps => steps.map(s => s.dataset.stepType)")
    assert shown == [step["type"] for step in steps[rendered[0] :]]  # the right steps, in order

    page.keyboard.press("ArrowUp")
    expect(page.locator(f"li.step[data-index='{STEPS - 1}']")).to_be_focused()
    page.keyboard.press("Home")
    expect(first).to_be_focused()
    expect(first).to_be_in_viewport()
    page.keyboard.press("ArrowDown")
    expect(page.locator("li.step[data-index='2']")).to_be_focused()

    box.evaluate("b => { b.scrollTop = b.scrollHeight / 2; }")  # scrolled by the container, not keys
    page.wait_for_function("() => !document.querySelector(\"li.step[data-index='1']\")")
    middle = _rendered(page)
    assert middle[0] > 1 and middle[-1] < STEPS and len(middle) < MOST_RENDERED, middle
    assert middle == list(range(middle[0], middle[-1] + 1))  # a contiguous window, no gap
    visible = page.locator(f"li.step[data-index='{middle[len(middle) // 2]}']")
    expect(visible).to_be_in_viewport()
    assert watched.dialogs == [] and watched.errors == []


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (make test-deps)")
def test_the_windowed_timeline_has_no_serious_axe_violation(
    console: Console, browser: Browser, long_run: str
) -> None:
    _completed(console, long_run)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, console, console.key_a)
        page.goto(f"{console.url}/console#/interactions/{long_run}")
        expect(page.get_by_test_id("status")).to_have_text("completed")
        page.get_by_role("region", name="Step timeline").evaluate(
            "b => { b.scrollTop = b.scrollHeight / 3; }"
        )
        page.wait_for_function("() => !document.querySelector(\"li.step[data-index='1']\")")
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)"""
        )
        assert found == []
    finally:
        context.close()
