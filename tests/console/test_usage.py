"""The usage page (issue 16, item 8): the tenant's tokens per day and its sandboxes against the cap, as
`GET /usage` reports them after a real agent run; another tenant's usage never shows."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from .conftest import Console, Watched, sign_in


def test_the_day_s_tokens_and_the_running_sandboxes_show(console: Console, watched: Watched) -> None:
    with console.http(console.key_a) as a:
        body = {
            "agent": "default",
            "agent_config": {"type": "antigravity", "model": "scripted:demo"},
            "input": "go",
        }
        run = a.post("/v1beta/interactions", json=body).json()
        assert run["status"] == "completed", run
        for _ in range(100):  # the token counters are written once a second
            report = a.get("/v1beta/usage").json()
            if report["days"] and int(report["days"][-1]["total_tokens"]) >= int(
                run["usage"]["total_tokens"]
            ):
                break
            time.sleep(0.1)
    today = report["days"][-1]
    assert int(today["total_tokens"]) >= int(run["usage"]["total_tokens"]) > 0
    assert report["sandboxes"]["running"] >= 1, "the run's sandbox still runs"
    page = watched.page
    sign_in(page, console, console.key_a)
    page.get_by_role("link", name="Usage").click()
    # Other work of the tenant may move the numbers between the API read and the page's own read:
    # the page must show at least this run's tokens and a sandbox count in the cap's terms.
    expect(page.get_by_test_id("sandboxes")).to_contain_text(
        re.compile(rf"[1-9][0-9]* of {report['sandboxes']['max']} sandboxes running")
    )
    row = page.locator(f"tr[data-day='{today['day']}']")
    expect(row).to_be_visible()
    shown = int(row.locator("td").nth(4).inner_text().replace(",", ""))
    assert shown >= int(run["usage"]["total_tokens"]), shown

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, console, console.key_b)
    page.get_by_role("link", name="Usage").click()
    expect(page.get_by_test_id("sandboxes")).to_be_visible()
    with console.http(console.key_b) as b:
        mine = b.get("/v1beta/usage").json()["days"]
    expect(page.locator("table.usage tbody tr")).to_have_count(len(mine))
