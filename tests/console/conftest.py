"""The web console (issue 16) in Debian's Chromium, driven by Playwright, against a real `warren serve`
(SQLite, real sandboxes) with two tenants. Every page records dialogs, page errors and console
errors, so a test can prove that nothing from a model ran."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.serve import warren_serve

SCRIPTS = Path(__file__).resolve().parents[1] / "conformance" / "scripts"
CHROMIUM = os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM}")


@dataclass(frozen=True)
class Console:
    """A running server, its URL and two tenants' keys."""

    url: str
    key_a: str
    key_b: str

    def http(self, key: str) -> httpx.Client:
        """A plain API client with `key`."""
        return httpx.Client(base_url=self.url, headers={"x-goog-api-key": key}, timeout=60)


@dataclass
class Watched:
    """A page and what it did that a test may forbid."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accept_confirms: bool = False
    """Accept the console's own confirm() questions (delete ...?); every other dialog is dismissed."""


@pytest.fixture(scope="session")
def console(sandbox_image: str) -> Iterator[Console]:
    data = Path(tempfile.mkdtemp(prefix="warren-console-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARREN_")}
    env.update(
        WARREN_DATA_DIR=str(data), WARREN_SANDBOX_IMAGE=sandbox_image, WARREN_TENANT_MAX_SANDBOXES="20"
    )
    env["WARREN_SANDBOX_LABELS"] = os.environ["WARREN_SANDBOX_LABELS"]  # the session's sweep label
    env["WARREN_SCRIPTS_DIR"] = str(SCRIPTS)  # scripted:weather asks the client for a function result
    with warren_serve(env, data, ["console-a", "console-b"], start_timeout_s=60) as running:
        served = Console(running.url, running.keys["console-a"], running.keys["console-b"])
        try:
            yield served
        finally:
            for key in (served.key_a, served.key_b):
                with served.http(key) as client:
                    for environment in client.get("/v1beta/environments").json().get("environments", []):
                        client.delete(f"/v1beta/environments/{environment['id']}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one module: Playwright's sync API keeps an event loop running while it is open,
    which async tests in later modules could not start under, so it closes with each module."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Watched(page)

    def on_dialog(dialog: object) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")  # type: ignore[attr-defined]
        if seen.accept_confirms and dialog.type == "confirm":  # type: ignore[attr-defined]
            dialog.accept()  # type: ignore[attr-defined]
        else:
            dialog.dismiss()  # type: ignore[attr-defined]

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: seen.errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and seen.errors.append(f"console: {msg.text}"))
    page.set_default_timeout(30_000)
    yield seen
    context.close()


def sign_in(page: Page, console: Console, key: str) -> None:
    """Open the console and sign in with `key`; waits for the tenant to show."""
    page.goto(f"{console.url}/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("tenant").wait_for()
