"""Chromium runs headless inside a default (hardened, network-disabled) sandbox through Playwright."""

from __future__ import annotations

import pytest

from orchestrator.sandbox import DockerBackend, ExecRequest
from orchestrator.sandbox.tarsafe import pack_files
from tests.conftest import SandboxFactory

pytestmark = pytest.mark.integration

PAGE = (
    b"<html><head><title>Warren page</title></head><body><h1 id='t'>rendered by chromium</h1></body></html>"
)
DRIVER = b"""
import functools, http.server, os, threading
from playwright.sync_api import sync_playwright

handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory="/workspace/site")
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=os.environ["WARREN_CHROMIUM"], args=flags)
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
    # The text is computed by the page's own layout engine, proving a real render.
    laid_out = page.evaluate("document.getElementById('t').offsetWidth > 0")
    print(page.title(), "|", page.inner_text("#t"), "|", laid_out)
    png = page.screenshot()
    print("png", png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", len(png) > 1000)
    browser.close()
"""


async def test_chromium_renders_a_page_served_inside_the_sandbox(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory(network="disabled")
    await backend.put_archive(
        info.id, "/workspace", pack_files({"site/index.html": PAGE, "drive.py": DRIVER})
    )
    result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("python", "drive.py"), timeout_s=60))
    assert result.exit_code == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "Warren page | rendered by chromium | True"
    assert lines[1] == "png True True"
