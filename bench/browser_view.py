"""The agent's browser, live (issue 16, item 4): what a watcher costs the agent's own browser calls.

The agent's side is the runner's: a `Toolbox` (real Chromium) whose screencast posts to a real
`Channel` over a Unix socket, with a control poll every 0.25 s as the runner makes during a turn.
The orchestrator's side runs in its own process, as `warren serve` does: the channel's socket, its
frame route and board, and a watcher following the board (what `GET .../browser` does for the
console). The calls alternate between blocks with and without a watcher, so a drift of the machine
reaches both; each call is a `navigate` to one of two loopback pages whose clock ticks ten times a
second (so the screencast streams at its cap all the time: the worst case), then a `snapshot`.

Usage: python -m bench.browser_view [--rounds N] [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.stats import latency_row, summary

ENV = "env-bench"
TOKEN = "bench-token"
CHROMIUM = os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium")
_PAGE = (
    "<title>Page {n}</title><h1>Page {n}</h1><p id=t>0</p><a href='{other}.html'>other</a>"
    "<script>let n=0;setInterval(()=>{{document.getElementById('t').textContent=++n}},100)</script>"
)
_CONTROL_POLL_S = 0.25


async def _orchestrator_side(root: Path) -> None:
    """The channel socket, its frame board and, on "watch", one watcher; answers on stdout."""
    from orchestrator.channel.hub import RunnerHub
    from orchestrator.channel.server import SOCKET_NAME, ChannelServers
    from orchestrator.gateway.registry import ProviderRegistry

    async def check(token: str) -> bool:
        return token == TOKEN

    hub = RunnerHub(ProviderRegistry({}))
    channels = ChannelServers(hub, root / "run")
    await channels.ensure(ENV, check)
    print(channels.folder(ENV) / SOCKET_NAME, flush=True)
    frames = 0

    async def watch() -> None:
        nonlocal frames
        async for frame in hub.frames.follow(ENV):
            frames += frame is not None

    watcher: asyncio.Task[None] | None = None
    loop = asyncio.get_running_loop()
    while (command := (await loop.run_in_executor(None, sys.stdin.readline)).strip()) != "quit":
        if command == "watch":
            watcher = asyncio.create_task(watch())
        elif command == "unwatch" and watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        print(frames, flush=True)
    await channels.close_all()


@contextlib.contextmanager
def _pages() -> Iterator[str]:
    """Two ticking pages on a loopback port this benchmark serves."""
    folder = Path(tempfile.mkdtemp(prefix="warren-bv-pages-"))
    for n, other in (("a", "b"), ("b", "a")):
        (folder / f"{n}.html").write_text(_PAGE.format(n=n, other=other))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


class _Orchestrator:
    """The orchestrator's process: tell it to watch or not, read the frames it got."""

    def __init__(self, root: Path) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.browser_view", "--orchestrator-side", str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.socket = self._proc.stdout.readline().strip()

    def tell(self, command: str) -> int:
        """Send a command; the frames the watcher has received so far."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return int(self._proc.stdout.readline())

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write("quit\n")
        self._proc.stdin.flush()
        self._proc.wait(30)


async def _agent_side(orchestrator: _Orchestrator, site: str, rounds: int, calls: int) -> dict[str, Any]:
    from agents.channel import Channel
    from agents.tools import Toolbox, ToolboxConfig

    channel = Channel(orchestrator.socket, TOKEN)
    workspace = Path(tempfile.mkdtemp(prefix="warren-bv-ws-"))
    samples: dict[str, list[float]] = {"unwatched": [], "watched": []}
    frames, watched_s = 0, 0.0
    async with Toolbox(
        ToolboxConfig(workspace=workspace, chromium=CHROMIUM), enabled=["browser"], frames=channel.frame
    ) as tools:
        channel.on_watched = tools.watch

        async def control_poll() -> None:  # the runner's cancel watcher, during every turn
            while True:
                await asyncio.sleep(_CONTROL_POLL_S)
                await channel.control("bench")

        poll = asyncio.create_task(control_poll())
        for n in range(4):  # warm-up: Chromium starts, both pages cached
            await tools.call("browser", {"action": "navigate", "url": f"{site}/{'ab'[n % 2]}.html"})
        for _ in range(rounds):
            for condition in ("unwatched", "watched"):
                before = orchestrator.tell("watch" if condition == "watched" else "unwatch")
                await asyncio.sleep(2 * _CONTROL_POLL_S)  # the runner learns it on its next poll
                started = time.monotonic()
                for n in range(calls):
                    began = time.perf_counter()
                    navigated = await tools.call(
                        "browser", {"action": "navigate", "url": f"{site}/{'ab'[n % 2]}.html"}
                    )
                    snapshot = await tools.call("browser", {"action": "snapshot"})
                    samples[condition].append(time.perf_counter() - began)
                    assert not navigated.is_error and not snapshot.is_error, navigated.output
                if condition == "watched":
                    frames += orchestrator.tell("count") - before
                    watched_s += time.monotonic() - started
        orchestrator.tell("unwatch")
        poll.cancel()
        await asyncio.gather(poll, return_exceptions=True)
    await channel.close()
    results = {name: summary(values) for name, values in samples.items()}
    ratio = statistics.median(samples["watched"]) / statistics.median(samples["unwatched"])
    results["ratio_p50"] = round(ratio, 3)
    results["frames_per_s_watched"] = round(frames / watched_s, 2) if watched_s else 0.0
    return results


def main(rounds: int, calls: int) -> dict[str, Any]:
    load = [round(x, 1) for x in os.getloadavg()]  # other work on the machine shows in the figures
    root = Path(tempfile.mkdtemp(prefix="wbv-", dir="/tmp"))  # socket paths must stay short
    orchestrator = _Orchestrator(root)
    try:
        with _pages() as site:
            results = asyncio.run(_agent_side(orchestrator, site, rounds, calls))
    finally:
        orchestrator.close()
    ratio = results["ratio_p50"]
    watched = (
        "the same calls while a watcher follows the page (the screencast pauses during each action "
        f"and streams between them: {results['frames_per_s_watched']} frames/s relayed to the "
        f"orchestrator's process); {ratio}x the unwatched p50"
    )
    return {
        "benchmark": "browser_view",
        "machine": {"cpus": os.cpu_count(), "load_average_1_5_15": load},
        "results": results,
        "rows": [
            latency_row(
                "browser tool `navigate` to a loopback page whose clock ticks 10 times a second, then "
                "`snapshot` (toolbox in-process, real Chromium, nobody watching: no screencast)",
                results["unwatched"],
            ),
            latency_row(watched, results["watched"], target="≤ 1.1x unwatched", met=ratio <= 1.1),
        ],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=10, help="blocks of each condition (default 10)")
    parser.add_argument("--calls", type=int, default=10, help="calls per block (default 10)")
    parser.add_argument("--orchestrator-side", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.orchestrator_side is not None:
        asyncio.run(_orchestrator_side(args.orchestrator_side))
    else:
        print(json.dumps(main(args.rounds, args.calls), indent=2))
