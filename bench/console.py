"""The web console's first load: what a browser downloads and how soon the page is usable.

A real `warren serve --no-sandboxes` (the console needs no sandbox to load) with a fresh data folder
and one key; Debian's Chromium through Playwright. For --loads (default 20) loads, each in a fresh
browser context (a cold cache, as a first visit):

  bytes          the JS and CSS of the first load (the terminal's xterm.js chunk loads only when a
                 terminal opens, so it is not among them): raw, and gzip-compressed at level 6 (what
                 a compressing proxy would send; `warren serve` itself sends them uncompressed)
  interactive_ms from navigation to the sign-in field being visible and focusable
  signed_in_ms   from navigation with a key in sessionStorage to the interaction list shown

Usage: python -m bench.console [--loads N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from tests.support.serve import WARREN, create_key, free_port, wait_healthy

CHROMIUM = os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium")


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 1),
        "median": round(statistics.median(values), 1),
        "max": round(max(values), 1),
    }


def _first_load(browser: Browser, url: str, key: str | None) -> tuple[float, dict[str, bytes]]:
    """One cold load: milliseconds to usable, and the JS/CSS bodies it fetched."""
    context = browser.new_context()
    page = context.new_page()
    bodies: dict[str, bytes] = {}
    page.on(
        "response",
        lambda r: r.url.endswith((".js", ".css")) and bodies.__setitem__(r.url, r.body()),
    )
    if key is not None:
        page.goto(f"{url}/healthz")  # the origin's sessionStorage, before the console loads
        page.evaluate("k => sessionStorage.setItem('warren.apiKey', k)", key)
    started = time.perf_counter()
    page.goto(f"{url}/console")
    if key is None:
        page.get_by_label("API key").focus()
    else:
        page.get_by_role("heading", name="Interactions").wait_for()
    elapsed = (time.perf_counter() - started) * 1000
    context.close()
    return elapsed, bodies


def main(loads: int) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="warren-console-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARREN_")}
    env["WARREN_DATA_DIR"] = str(data)
    key = create_key(env, "bench")
    port, log = free_port(), data / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [WARREN, "serve", "--no-sandboxes", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log, 120)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            cold = [_first_load(browser, url, None) for _ in range(loads)]
            signed = [_first_load(browser, url, key)[0] for _ in range(loads)]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    bodies = cold[0][1]
    raw = sum(len(body) for body in bodies.values())
    packed = sum(len(gzip.compress(body, 6)) for body in bodies.values())
    return {
        "bench": "console",
        "loads": loads,
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "first_load_files": sorted(Path(u).name for u in bodies),
        "first_load_bytes": {"raw": raw, "gzip": packed},
        "interactive_ms": _summary([ms for ms, _ in cold]),
        "signed_in_ms": _summary(signed),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loads", type=int, default=20, help="cold loads of each kind (default 20)")
    json.dump(main(parser.parse_args().loads), sys.stdout, indent=2)
    print()
