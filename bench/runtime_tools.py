"""The sandbox-level half of `bench.runtimes`: engine provisioning and the agent's tools, per OCI runtime.

    samples = await backend_cold(backend, "runsc", i, ids)      # one create + start + first exec
    tools = await tool_round_trips(backend, "runsc", runs)      # run_code and browser, in a sandbox

Every sandbox names its runtime in `SandboxSpec.runtime` (never the engine's default) and carries
this run's label (`bench.provision.LABEL`), so `bench.provision.remove_floor` removes what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

from bench.provision import LABEL
from bench.stats import summary
from orchestrator.sandbox import DockerBackend, ExecRequest, SandboxSpec
from orchestrator.sandbox.tarsafe import pack_files

__all__ = ["IN_SANDBOX", "backend_cold", "tool_round_trips"]

PAGE = b"<html><head><title>bench page</title></head><body><h1>bench</h1><a href='#x'>link</a></body></html>"
IN_SANDBOX = """
import asyncio, functools, http.server, json, sys, threading, time
from agents.tools import Toolbox

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

handler = functools.partial(Quiet, directory="/workspace/site")
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
URL = f"http://127.0.0.1:{server.server_address[1]}/index.html"

async def timed(toolbox, name, args):
    started = time.perf_counter()
    result = await toolbox.call(name, args)
    elapsed = time.perf_counter() - started
    assert not result.is_error, result.output
    return elapsed

async def main(runs, navigates):
    toolbox = Toolbox()
    out = {}
    for name, args in [("run_code_python", {"language": "python", "code": "1+1"}),
                       ("run_code_bash", {"language": "bash", "code": "true"})]:
        for _ in range(5):
            await toolbox.call("run_code", args)
        out[name] = [await timed(toolbox, "run_code", args) for _ in range(runs)]
    navigate = {"action": "navigate", "url": URL}
    out["browser_first"] = [await timed(toolbox, "browser", navigate)]
    out["browser_navigate"] = [await timed(toolbox, "browser", navigate) for _ in range(navigates)]
    print(json.dumps(out), flush=True)
    await toolbox.close()

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""
"""`run_code` python `1+1` and bash `true` (warm kernel and shell), then the `browser` tool's
`navigate` to a page served on the sandbox's own loopback: the first (Chromium starts), then warm.

Under runsc the tasks in the sandbox's host cgroup (the gVisor sentry's threads) grow with the first
navigates and level off near 550 (runc: 130); before the engine's pids limit of a gVisor sandbox got
its headroom (cd3ceb6) they ended the whole sandbox at 512. `browser_pids_peak` records the peak."""
PIDS = Path("/sys/fs/cgroup/pids/docker")
"""The host's cgroup v1 pids controller: `<container id>/pids.current` counts every task (threads too)."""


async def backend_cold(backend: DockerBackend, runtime: str, i: int, ids: list[str]) -> float:
    """One `DockerBackend` create + start + first exec("true") under `runtime`, in seconds."""
    spec = SandboxSpec(environment_id=f"bench-{runtime}-{i}", tenant="bench", labels=LABEL, runtime=runtime)
    started = time.perf_counter()
    info = await backend.create(spec)
    ids.append(info.id)
    await backend.start(info.id)
    result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("true",)))
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.stderr
    return elapsed


async def _pids_peak(container_id: str, peak: list[int]) -> None:
    """Keep the highest `pids.current` of the container's cgroup in `peak[0]` until cancelled."""
    path = PIDS / container_id / "pids.current"
    while True:
        with contextlib.suppress(OSError, ValueError):
            peak[0] = max(peak[0], int(path.read_text()))
        await asyncio.sleep(0.1)


async def tool_round_trips(backend: DockerBackend, runtime: str, runs: int, navigates: int) -> dict[str, Any]:
    """Time `run_code` and the browser's `navigate` through the Toolbox, in a sandbox under `runtime`."""
    spec = SandboxSpec(environment_id=f"bench-tools-{runtime}", tenant="bench", labels=LABEL, runtime=runtime)
    info = await backend.create(spec)
    peak = [0]
    watch = asyncio.create_task(_pids_peak(info.id, peak))
    try:
        await backend.start(info.id)
        files = {"bench_tools.py": IN_SANDBOX.encode(), "site/index.html": PAGE}
        await backend.put_archive(info.id, "/workspace", pack_files(files))
        command = ("python", "bench_tools.py", str(runs), str(navigates))
        result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=command, timeout_s=300))
        if result.exit_code != 0:
            raise SystemExit(f"in-sandbox benchmark ({runtime}) failed: {result.stderr.decode()[-2000:]}")
        samples: dict[str, list[float]] = json.loads(result.stdout)
    finally:
        watch.cancel()
        await backend.destroy(info.id)
    return {**{name: summary(values) for name, values in samples.items()}, "browser_pids_peak": peak[0]}
