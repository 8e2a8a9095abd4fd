"""Screenshots of the web console for the README, made from a real run so they stay true.

    .venv/bin/python scripts/console_screenshots.py   # after `make image`; writes docs/images/console-*.png

Starts a `warren serve` on a free loopback port with a fresh data folder, signs in with a new key
in Debian's Chromium (Playwright), starts the demo task (`scripted:demo` on the demo's sales.csv)
from the New-run form, and captures the live timeline, the screenshot step, the interaction list,
and the environment with the report previewed and a terminal. The server and its sandboxes are
removed afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from orchestrator.demo import SALES, TASK

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "images"
WARREN = str(Path(sys.executable).with_name("warren"))
CHROMIUM = os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _shoot(page: Page, name: str, full_page: bool = False) -> None:
    page.wait_for_timeout(300)  # let layout settle
    page.screenshot(path=str(OUT / f"console-{name}.png"), full_page=full_page)
    print(f"wrote docs/images/console-{name}.png", file=sys.stderr)


def _tour(page: Page, url: str, key: str, data: Path) -> None:
    page.goto(url)
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="New run").click()
    page.get_by_label("Agent", exact=True).select_option("default")
    page.locator("#model").fill("scripted:demo")
    page.get_by_label("Task").fill(TASK)
    csv = data / "sales.csv"
    csv.write_text(SALES)
    page.get_by_label("Files for the workspace").set_input_files(str(csv))
    _shoot(page, "new-run")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_test_id("status")).to_have_text("completed", timeout=180_000)
    page.evaluate("window.scrollTo(0, 0)")
    _shoot(page, "timeline")
    page.locator("img.shot").scroll_into_view_if_needed()
    _shoot(page, "screenshot-step")
    page.locator("dl.facts a").first.click()  # the environment
    page.get_by_role("button", name="Open a terminal").click()
    expect(page.get_by_test_id("terminal")).to_contain_text("$", timeout=60_000)
    page.get_by_test_id("terminal").click()
    page.keyboard.type("ls -l && echo $((6*7))\n")
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="report.html", exact=True).click()
    expect(page.frame_locator("[data-testid=preview] iframe").locator("h1")).to_be_visible()
    _shoot(page, "environment", full_page=True)
    page.get_by_role("link", name="Interactions").click()
    page.locator("table.list tbody tr").first.wait_for()
    _shoot(page, "interactions")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="warren-shots-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARREN_")}
    env["WARREN_DATA_DIR"] = str(data)
    made = subprocess.run(
        [WARREN, "keys", "create", "--tenant", "demo"], env=env, capture_output=True, text=True, check=True
    )
    key = made.stdout.strip()
    port = _port()
    url = f"http://127.0.0.1:{port}"
    with (data / "server.log").open("w") as log:
        server = subprocess.Popen([WARREN, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        _wait_healthy(url, server, data / "server.log")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800}, color_scheme="light")
            _tour(page, url, key, data)
            browser.close()
        with httpx.Client(base_url=url, headers={"x-goog-api-key": key}) as client:
            for environment in client.get("/v1beta/environments").json().get("environments", []):
                client.delete(f"/v1beta/environments/{environment['id']}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit(f"warren serve did not start; see {log}")
        time.sleep(0.2)


if __name__ == "__main__":
    raise SystemExit(main())
