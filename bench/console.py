"""The web console's first load: what a browser downloads and how soon the page is usable.

A real `warren serve --no-sandboxes` (the console needs no sandbox to load) with a fresh data folder
and one key; Debian's Chromium through Playwright. For --loads (default 20) loads, each in a fresh
browser context (a cold cache, as a first visit):

  bytes          the JS and CSS of the first load (the terminal's xterm.js chunk loads only when a
                 terminal opens, so it is not among them): raw, and gzip-compressed at level 6 (what
                 a compressing proxy would send; `warren serve` itself sends them uncompressed)
  interactive_ms from navigation to the sign-in field being visible and focusable
  signed_in_ms   from navigation with a key in sessionStorage to the interaction list shown

Then a long stored interaction: a real agent run of `scripted:long_timeline` (tests/conformance/scripts:
40 rounds of a text and 25 cheap built-in calls in a sandbox; 2,041 steps after the input), opened
--long-loads (default 10) times, each in a fresh context (1280x900) signed in, timed in the page (the
first animation frame in which it holds, from the document's navigation start):

  long.first_screen  from navigation to the first step drawn in the timeline's scroll box and the box
                     filled (more steps than it shows)
  long.all_steps     from navigation to every step known (the stream replayed to its end)
  long.end           from pressing End in the box to the last step drawn inside the box
  long.rendered      step elements in the DOM at the first screen and after End (the list is windowed)
  long.api           the two ways to read it over loopback: GET /interactions/{id} (every step in one
                     JSON) and the SSE replay (first event, whole stream); the console reads the stream

The server is `warren serve` with sandboxes (`bench/server.py`, pool 0; the first loads use none).

Usage: python -m bench.console [--loads N] [--long-loads N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import docker
import httpx
from playwright.sync_api import Browser, Page, sync_playwright

from bench.server import BenchServer, warren_server
from bench.stats import latency_row, summary
from orchestrator.sandbox.image import build_image

CHROMIUM = os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium")
SCRIPT = Path(__file__).resolve().parents[1] / "tests" / "conformance" / "scripts" / "long_timeline.yaml"
LONG_STEPS = 2041
"""Steps of a `scripted:long_timeline` run after its input."""
FIRST_SCREEN_TARGET_MS = 1500
_WATCH = """(() => {
  const marks = (window.__warrenBench = {});
  addEventListener("keydown", (e) => { if (e.key === "End") marks.end_pressed = performance.now(); }, true);
  const frame = () => {
    const box = document.querySelector(".timeline-box");
    const first = box && box.querySelector("li.step[data-index='1']");
    if (marks.first_screen === undefined && first && box.scrollHeight > box.clientHeight) {
      marks.first_screen = performance.now();
      marks.rendered_first = box.querySelectorAll("li.step").length;
    }
    if (marks.all_steps === undefined && first && first.getAttribute("aria-setsize") === "STEPS") {
      marks.all_steps = performance.now();
    }
    const last = box && box.querySelector("li.step[data-index='STEPS']");
    if (marks.end_pressed !== undefined && last) {
      const a = box.getBoundingClientRect(), b = last.getBoundingClientRect();
      if (b.top >= a.top - 1 && b.bottom <= a.bottom + 1) {
        marks.end = performance.now() - marks.end_pressed;
        marks.rendered_end = box.querySelectorAll("li.step").length;
        return;
      }
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})()""".replace("STEPS", str(LONG_STEPS))
"""Notes, in the frame about to be drawn (requestAnimationFrame), when the first screen, every step
and, after End, the last step are in the timeline's box; times from the document's navigation start."""


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 1),
        "median": round(statistics.median(values), 1),
        "max": round(max(values), 1),
    }


def _signed_in_page(browser: Browser, url: str, key: str | None) -> Page:
    """A page in a fresh context (a cold cache), with `key` in the origin's sessionStorage."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    if key is not None:
        page.goto(f"{url}/healthz")  # the origin's sessionStorage, before the console loads
        page.evaluate("k => sessionStorage.setItem('warren.apiKey', k)", key)
    return page


def _first_load(browser: Browser, url: str, key: str | None) -> tuple[float, dict[str, bytes]]:
    """One cold load: milliseconds to usable, and the JS/CSS bodies it fetched."""
    page = _signed_in_page(browser, url, key)
    bodies: dict[str, bytes] = {}
    page.on(
        "response",
        lambda r: r.url.endswith((".js", ".css")) and bodies.__setitem__(r.url, r.body()),
    )
    started = time.perf_counter()
    page.goto(f"{url}/console")
    if key is None:
        page.get_by_label("API key").focus()
    else:
        page.get_by_role("heading", name="Interactions").wait_for()
    elapsed = (time.perf_counter() - started) * 1000
    page.context.close()
    return elapsed, bodies


def _long_load(browser: Browser, url: str, key: str, interaction_id: str) -> dict[str, float]:
    """One cold load of the long interaction, timed in the page: milliseconds from navigation to its
    first screen and to every step, and from End to the last step; step elements in the DOM."""
    page = _signed_in_page(browser, url, key)
    page.add_init_script(_WATCH)
    page.goto(f"{url}/console#/interactions/{interaction_id}")
    page.wait_for_function("() => window.__warrenBench.all_steps !== undefined", timeout=60_000)
    page.get_by_role("region", name="Step timeline").focus()
    page.keyboard.press("End")
    page.wait_for_function("() => window.__warrenBench.end !== undefined", timeout=60_000)
    marks: dict[str, float] = page.evaluate("window.__warrenBench")
    page.context.close()
    return marks


def _long_run(server: BenchServer) -> tuple[str, float]:
    """A real `scripted:long_timeline` agent run to its end: its id and wall time in seconds."""
    shutil.copy(SCRIPT, server.data_dir / SCRIPT.name)  # the server's scripts folder
    body = {
        "agent": "default",
        "agent_config": {"type": "antigravity", "model": "scripted:long_timeline"},
        "input": "Run the checks.",
        "environment": {"type": "remote", "network": "disabled"},
    }
    started = time.perf_counter()
    with httpx.Client(base_url=server.url, headers={"x-goog-api-key": server.key}, timeout=900) as api:
        done = api.post("/v1beta/interactions", json=body).json()
    assert done["status"] == "completed" and len(done["steps"]) == LONG_STEPS + 1, done.get("errors")
    if done.get("environment_id"):
        server.environments.add(done["environment_id"])
    return done["id"], time.perf_counter() - started


def _api_reads(server: BenchServer, interaction_id: str, reads: int) -> dict[str, Any]:
    """GET of the whole interaction against its SSE replay (first event, whole stream), alternating."""
    get: list[float] = []
    first: list[float] = []
    whole: list[float] = []
    sizes: dict[str, int] = {}
    path = f"/v1beta/interactions/{interaction_id}"
    with httpx.Client(base_url=server.url, headers={"x-goog-api-key": server.key}, timeout=120) as api:
        for _ in range(reads):
            started = time.perf_counter()
            sizes["get_bytes"] = len(api.get(path).content)
            get.append(time.perf_counter() - started)
            started, seen, events = time.perf_counter(), 0, 0
            with api.stream("GET", path, params={"stream": "true"}) as answer:
                for line in answer.iter_lines():
                    seen += len(line) + 1
                    if line.startswith("data: {"):
                        events += 1
                        if events == 1:
                            first.append(time.perf_counter() - started)
            whole.append(time.perf_counter() - started)
            sizes.update(stream_bytes=seen, stream_events=events)
    return {
        "get": summary(get),
        "stream_first_event": summary(first),
        "stream_whole": summary(whole),
        **sizes,
    }


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The README rows: the first load, and the long interaction's first screen, End and reads."""
    packed = report["first_load_bytes"]["gzip"]
    long, api = report["long"], report["long"]["api"]
    rendered = long["rendered"]
    return [
        {
            "figure": "console: JS + CSS of the first load of `/console`, gzip level 6 (raw "
            f"{round(report['first_load_bytes']['raw'] / 1024)} KB; xterm.js loads with a terminal)",
            "p50": round(packed / 1024, 1),
            "p95": "",
            "unit": "KB",
            "n": 1,
            "target": "≤ 300 KB",
            "met": packed <= 300 * 1024,
        },
        latency_row(
            "console: navigation → sign-in field usable, cold cache (Chromium)",
            report["interactive"],
            target_ms=1000,
        ),
        latency_row(
            f"console: a stored {LONG_STEPS:,}-step interaction (a real agent run), navigation → first "
            "screen of steps drawn (the first frame with the timeline's box full, timed in the page), "
            f"cold cache; {rendered['first_max']} step elements in the DOM at most",
            long["first_screen"],
            target_ms=FIRST_SCREEN_TARGET_MS,
        ),
        latency_row(
            f"… navigation → all {LONG_STEPS:,} steps known (the SSE replay read to its end)",
            long["all_steps"],
        ),
        latency_row(
            f"… End in the timeline → the last step drawn in its box ({rendered['end_max']} step "
            "elements in the DOM at most: the list is windowed)",
            long["end"],
        ),
        latency_row(
            f"… API over loopback: GET of the whole interaction ({round(api['get_bytes'] / 1024)} KB) / SSE "
            f"replay's first event / whole replay ({api['stream_events']:,} events, "
            f"{round(api['stream_bytes'] / 1024)} KB; the console reads the replay)",
            {
                "n": api["get"]["n"],
                "p50_ms": " / ".join(
                    str(api[k]["p50_ms"]) for k in ("get", "stream_first_event", "stream_whole")
                ),
                "p95_ms": " / ".join(
                    str(api[k]["p95_ms"]) for k in ("get", "stream_first_event", "stream_whole")
                ),
            },
        ),
    ]


def main(loads: int, long_loads: int) -> dict[str, Any]:
    image = build_image(docker.from_env()).sandbox
    with warren_server(image, {"WARREN_POOL_SIZE": "0"}) as server:
        interaction_id, run_s = _long_run(server)
        api = _api_reads(server, interaction_id, long_loads)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            cold = [_first_load(browser, server.url, None) for _ in range(loads)]
            signed = [_first_load(browser, server.url, server.key)[0] for _ in range(loads)]
            long = [_long_load(browser, server.url, server.key, interaction_id) for _ in range(long_loads)]
            browser.close()
    bodies = cold[0][1]
    raw = sum(len(body) for body in bodies.values())
    packed = sum(len(gzip.compress(body, 6)) for body in bodies.values())
    report: dict[str, Any] = {
        "bench": "console",
        "loads": loads,
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "first_load_files": sorted(Path(u).name for u in bodies),
        "first_load_bytes": {"raw": raw, "gzip": packed},
        "interactive_ms": _summary([ms for ms, _ in cold]),
        "signed_in_ms": _summary(signed),
        "interactive": summary([ms / 1000 for ms, _ in cold]),
        "long": {
            "steps": LONG_STEPS,
            "loads": long_loads,
            "run_s": round(run_s, 1),
            "first_screen": summary([load["first_screen"] / 1000 for load in long]),
            "all_steps": summary([load["all_steps"] / 1000 for load in long]),
            "end": summary([load["end"] / 1000 for load in long]),
            "rendered": {
                "first_max": max(int(load["rendered_first"]) for load in long),
                "end_max": max(int(load["rendered_end"]) for load in long),
            },
            "api": api,
        },
    }
    report["rows"] = _rows(report)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loads", type=int, default=20, help="cold loads of each kind (default 20)")
    parser.add_argument(
        "--long-loads", type=int, default=10, help="loads of the long interaction (default 10)"
    )
    args = parser.parse_args()
    result = main(args.loads, args.long_loads)
    json.dump(result, sys.stdout, indent=2)
    print()
    long = result["long"]
    print(
        f"console: first load {result['first_load_bytes']['gzip']} B gzip, interactive p50 "
        f"{result['interactive']['p50_ms']} ms; {LONG_STEPS} steps: first screen p50 "
        f"{long['first_screen']['p50_ms']} ms, all steps p50 {long['all_steps']['p50_ms']} ms, "
        f"End p50 {long['end']['p50_ms']} ms, DOM steps ≤ {long['rendered']['end_max']}",
        file=sys.stderr,
    )
