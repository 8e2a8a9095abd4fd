"""The agent's browser, live (issue 16, item 4): while a scripted agent browses in a real sandbox,
the interaction page shows its page as it changes (at least two distinct frames before the run
ends), under an accessible name; another tenant cannot watch it."""

from __future__ import annotations

import base64
import time

from playwright.sync_api import expect

from .conftest import Console, Watched, sign_in

RUN = {
    "agent": "default",
    "agent_config": {"type": "antigravity", "model": "scripted:browser_live"},
    "input": "Browse two pages.",
    "background": True,
}


def test_the_live_browser_view_shows_distinct_frames_while_the_agent_browses(
    console: Console, watched: Watched
) -> None:
    page = watched.page
    sign_in(page, console, console.key_a)
    with console.http(console.key_a) as a:
        run = a.post("/v1beta/interactions", json=RUN).json()
    page.goto(f"{console.url}/console#/interactions/{run['id']}")

    frame = page.get_by_role(
        "img", name="The agent's browser showing data:text/html,<title>Ticking", exact=False
    )
    frame.wait_for(timeout=180_000)
    expect(page.get_by_role("region", name="The agent's browser, live")).to_be_visible()
    shown: list[bytes] = []
    deadline = time.monotonic() + 120
    while len(set(shown)) < 2 and time.monotonic() < deadline:
        src = page.get_by_test_id("browser-frame").get_attribute("src") or ""
        assert src.startswith("data:image/jpeg;base64,")
        image = base64.b64decode(src.split(",", 1)[1])
        if not shown or shown[-1] != image:
            shown.append(image)
        time.sleep(0.1)
    status = page.get_by_test_id("status").text_content()
    assert len(set(shown)) >= 2, "the view showed one frame only"
    assert status == "in_progress", "the second frame showed only once the run had ended"
    assert all(image.startswith(b"\xff\xd8\xff") for image in shown)

    expect(page.get_by_test_id("status")).to_have_text("completed", timeout=120_000)
    with console.http(console.key_a) as a:
        environment_id = a.get(f"/v1beta/interactions/{run['id']}").json()["environment_id"]
    with console.http(console.key_b) as b:
        other = b.get(f"/v1beta/environments/{environment_id}/browser")
    assert other.status_code == 404
    assert watched.dialogs == [] and watched.errors == []
