"""One environment in the console (issue 16, item 5): files cross the console byte for byte both
ways, and the terminal's size follows the page."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import Console, Watched, sign_in


def _open(page: Page, console: Console, environment_id: str) -> None:
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/environments/{environment_id}")
    expect(page.get_by_role("heading", name=re.compile("Environment"))).to_be_visible()


def test_files_cross_the_console_byte_for_byte_both_ways(
    console: Console, watched: Watched, tmp_path: Path
) -> None:
    blob = os.urandom(300_000) + bytes(range(256))  # binary, and larger than one read
    with console.http(console.key_a) as a:
        environment = a.post("/v1beta/environments", json={}).json()["id"]
        put = a.put(
            f"/upload/v1beta/environments/{environment}/files/from-api.bin",
            headers={"x-goog-upload-protocol": "resumable", "x-goog-upload-header-content-length": "1000"},
        )
        a.post(
            put.headers["x-goog-upload-url"],
            content=blob[:1000],
            headers={"x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0"},
        ).raise_for_status()
    page = watched.page
    _open(page, console, environment)

    source = tmp_path / "from-console.bin"
    source.write_bytes(blob)
    page.get_by_label("Upload files").set_input_files(str(source))
    expect(page.locator("tr[data-path='from-console.bin']")).to_be_visible(timeout=60_000)
    with console.http(console.key_a) as a:
        stored = a.get(f"/v1beta/environments/{environment}/files/from-console.bin", params={"alt": "media"})
    assert stored.content == blob

    page.get_by_test_id("drop").evaluate(
        """(zone) => {
            const files = new DataTransfer();
            files.items.add(new File([new Uint8Array([0, 1, 2, 255])], "dropped.bin"));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true, cancelable: true}));
        }"""
    )
    expect(page.locator("tr[data-path='dropped.bin']")).to_be_visible(timeout=60_000)
    with console.http(console.key_a) as a:
        dropped = a.get(f"/v1beta/environments/{environment}/files/dropped.bin", params={"alt": "media"})
    assert dropped.content == bytes([0, 1, 2, 255])

    with page.expect_download() as caught:
        page.locator("tr[data-path='from-api.bin']").get_by_role("button", name="Download").click()
    assert Path(caught.value.path()).read_bytes() == blob[:1000]
    assert caught.value.suggested_filename == "from-api.bin"


def _stty_size(page: Page, previous: str | None = None) -> str:
    """Type `stty size` and read its answer, `rows cols`, from the terminal (a new one when asked)."""
    page.get_by_test_id("terminal").click()
    page.keyboard.type("stty size\n")
    rows = page.get_by_test_id("terminal").locator(".xterm-rows > div")
    for _ in range(100):
        answers = [t.strip() for t in rows.all_inner_texts() if re.fullmatch(r"\s*\d+ \d+\s*", t)]
        if answers and answers[-1] != previous:
            return answers[-1]
        page.wait_for_timeout(100)
    raise AssertionError(f"no new `stty size` answer; the terminal shows {rows.all_inner_texts()}")


def test_the_terminal_follows_the_page_size(console: Console, watched: Watched) -> None:
    with console.http(console.key_a) as a:
        environment = a.post("/v1beta/environments", json={}).json()["id"]
    page = watched.page
    _open(page, console, environment)
    page.get_by_role("button", name="Open a terminal").click()
    expect(page.get_by_test_id("terminal-state")).to_contain_text("connected")
    expect(page.get_by_test_id("terminal")).to_contain_text("$", timeout=60_000)
    wide = _stty_size(page)
    page.set_viewport_size({"width": 700, "height": 900})
    narrow = _stty_size(page, previous=wide)
    assert int(narrow.split()[1]) < int(wide.split()[1]), (wide, narrow)


def _put(console: Console, environment: str, path: str, data: bytes) -> None:
    with console.http(console.key_a) as a:
        start = a.put(
            f"/upload/v1beta/environments/{environment}/files/{path}",
            headers={
                "x-goog-upload-protocol": "resumable",
                "x-goog-upload-header-content-length": str(len(data)),
            },
        )
        a.post(
            start.headers["x-goog-upload-url"],
            content=data,
            headers={"x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0"},
        ).raise_for_status()


HOSTILE_HTML = b"""<!doctype html><title>report</title><h1>Quarterly report</h1>
<script>parent.document.body.innerHTML = "pwned"; parent.alert(1); alert(2);</script>
<img src=x onerror="parent.document.title = 'pwned'; alert(3)">
<a id=go href="javascript:parent.alert(4)">go</a>"""


def test_previews_show_each_kind_and_html_cannot_reach_the_console(
    console: Console, watched: Watched
) -> None:
    with console.http(console.key_a) as a:
        environment = a.post("/v1beta/environments", json={}).json()["id"]
    _put(console, environment, "sales.csv", b'region,units\nnorth,"1,200"\nsouth,80\n')
    _put(console, environment, "notes.md", b"# Notes\n\nsome **bold** text\n\n<script>alert(5)</script>\n")
    _put(console, environment, "report.html", HOSTILE_HTML)
    page = watched.page
    _open(page, console, environment)
    preview = page.get_by_test_id("preview")

    page.get_by_role("button", name="sales.csv", exact=True).click()
    expect(preview.locator("table.csv tbody tr")).to_have_count(2)
    expect(preview.locator("table.csv tbody tr").first).to_contain_text("1,200")

    page.get_by_role("button", name="notes.md", exact=True).click()
    expect(preview.locator(".markdown strong")).to_have_text("bold")
    expect(preview.locator(".markdown script")).to_have_count(0)

    page.get_by_role("button", name="report.html", exact=True).click()
    frame = page.frame_locator("[data-testid=preview] iframe")
    expect(frame.locator("h1")).to_have_text("Quarterly report")
    assert preview.locator("iframe").get_attribute("sandbox") == ""
    frame.locator("#go").click()
    page.wait_for_timeout(500)  # a script that slipped through would have run by now
    expect(page.get_by_test_id("tenant")).to_contain_text("console-a")  # the console's DOM is intact
    assert page.title() == "Warren console"
    assert watched.dialogs == []


def test_fork_copies_the_workspace_into_a_new_environment(console: Console, watched: Watched) -> None:
    with console.http(console.key_a) as a:
        environment = a.post("/v1beta/environments", json={}).json()["id"]
    _put(console, environment, "kept.txt", b"from the parent")
    page = watched.page
    _open(page, console, environment)
    page.get_by_role("button", name="Fork").click()
    expect(page).not_to_have_url(re.compile(f"{environment}$"))
    fork = page.url.rsplit("/", 1)[-1]
    expect(page.locator("tr[data-path='kept.txt']")).to_be_visible(timeout=60_000)
    with console.http(console.key_a) as a:
        copied = a.get(f"/v1beta/environments/{fork}/files/kept.txt", params={"alt": "media"})
    assert fork != environment and copied.content == b"from the parent"


def test_a_sandbox_port_opens_in_a_new_tab_without_the_key(console: Console, watched: Watched) -> None:
    """Issue 18, item 3: the console links to a preview URL. The page is on the console's origin, so
    it opens with `noopener`: no opener, and none of this tab's sessionStorage (the key) is copied."""
    with console.http(console.key_a) as a:
        environment = a.post("/v1beta/environments", json={}).json()["id"]
    page = watched.page
    _open(page, console, environment)
    page.get_by_role("button", name="Open a terminal").click()
    expect(page.get_by_test_id("terminal")).to_contain_text("$", timeout=60_000)
    page.get_by_test_id("terminal").click()
    page.keyboard.type("mkdir -p site && echo served-from-the-sandbox > site/index.html\n")
    page.keyboard.type("(cd site && nohup python3 -m http.server 8000 >/dev/null 2>&1 &)\n")

    page.get_by_label("Port").fill("8000")
    page.get_by_role("button", name="Open port").click()
    link = page.locator("li[data-port='8000'] a")
    expect(link).to_be_visible()
    assert link.get_attribute("target") == "_blank" and "noopener" in str(link.get_attribute("rel"))
    assert "/ports/8000/" in str(link.get_attribute("href")) and console.key_a not in str(
        link.get_attribute("href")
    )
    for _ in range(50):  # the server in the sandbox may still be starting
        with page.expect_popup() as opened:
            link.click()
        tab = opened.value
        tab.wait_for_load_state()
        if "served-from-the-sandbox" in tab.content():
            break
        tab.close()
        page.wait_for_timeout(200)
    assert "served-from-the-sandbox" in tab.content()
    assert tab.evaluate("window.opener") is None
    assert tab.evaluate("Object.keys(sessionStorage)") == [], "the key stayed in the console's tab"

    page.locator("li[data-port='8000']").get_by_role("button", name="Close").click()
    expect(page.locator("li[data-port='8000']")).to_have_count(0)
