"""runc against gVisor (`runsc`) in one run: provisioning, the agent's tools and idle memory (issue 19).

Each figure is taken under both runtimes, named explicitly (`SandboxSpec.runtime`, `WARREN_RUNTIME`),
never the engine's default; runs alternate between the runtimes (and which goes first), so drift of
the machine reaches both alike. Rows show runc / runsc and their ratio.

Measures (--runs each, default 10):
  backend_cold      `DockerBackend` create + start + first exec("true") (`bench.runtime_tools`)
  api_cold          `warren serve` with WARREN_POOL_SIZE=0: create request → the `code_execution_result`
                    event of `run_code` bash `true` (`bench.server.first_command`; a warm-up run first)
  api_warm          the same from a warm pool (WARREN_POOL_SIZE=--pool-size): each run starts once
                    both servers' pools hold that many slots again (their `warren_sandboxes{state=
                    "pooled"}` gauge: a slot counts once its runner waits for an assignment)
  run_code_python   `run_code` python `1+1` / bash `true` through the Toolbox in a running sandbox
  run_code_bash
  browser_first     the `browser` tool's first `navigate` to a page on the sandbox's own loopback
                    (Chromium starts), then --navigates more (`browser_navigate`); the peak of the
                    sandbox's host cgroup `pids.current` meanwhile
  idle_memory       --idle agent sessions (`scripted:echo`, each on its own environment) left idle for
                    --settle-s; each sandbox's host cgroup v1 memory: usage minus the reclaimable file
                    cache (cache - shmem), and raw usage summed / N. Under runsc the cgroup holds the
                    gVisor sentry and gofer, and the sandbox's own memory is the sentry's memory file,
                    which the kernel counts as shmem (so "usage - page cache" would drop it).

Every container this run makes is removed (`bench.provision.remove_floor`, `bench.server.sweep`).

Usage: python -m bench.runtimes [--runs N] [--pool-size N] [--idle N] [--navigates N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from typing import Any

import docker
import httpx

from bench.idle import _containers_of, cgroup_memory, create_sessions
from bench.provision import remove_floor
from bench.runtime_tools import backend_cold, tool_round_trips
from bench.server import (
    FIRST_COMMAND_SCRIPT,
    BenchServer,
    delete_environments,
    exit_on_sigterm,
    first_command,
    pooled_slots,
    script_model,
    warren_server,
)
from bench.stats import summary
from orchestrator.sandbox import DockerBackend
from orchestrator.sandbox.image import build_image
from orchestrator.sandbox.runtimes import runtimes_of

RUNTIMES = ("runc", "runsc")
POOL_WAIT_S = 60.0
"""The longest wait for both pools to be full before a warm run (runsc slots start slower)."""
MB = 1 << 20


def _phase(name: str, since: float) -> None:
    print(f"bench.runtimes: {name} ({time.monotonic() - since:.0f} s)", file=sys.stderr, flush=True)


def _order(i: int) -> tuple[str, ...]:
    """Which runtime goes first alternates run by run."""
    return RUNTIMES if i % 2 == 0 else RUNTIMES[::-1]


async def backend_series(image: str, runs: int, navigates: int) -> dict[str, dict[str, Any]]:
    """Engine-level cold provisioning and the tools, under both runtimes."""
    samples: dict[str, list[float]] = {r: [] for r in RUNTIMES}
    tools: dict[str, dict[str, Any]] = {}
    async with DockerBackend(image=image) as backend:
        ids: list[str] = []
        try:
            for i in range(runs + 1):
                for runtime in _order(i):
                    elapsed = await backend_cold(backend, runtime, i, ids)
                    if i:  # the first round warms the engine's caches for both
                        samples[runtime].append(elapsed)
                await asyncio.gather(*(backend.destroy(cid) for cid in ids))
                ids.clear()
        finally:
            await asyncio.gather(*(backend.destroy(cid) for cid in ids), return_exceptions=True)
        for runtime in RUNTIMES:
            tools[runtime] = await tool_round_trips(backend, runtime, runs, navigates)
    return {r: {"backend_cold": summary(samples[r]), **tools[r]} for r in RUNTIMES}


async def _pools_full(apis: dict[str, httpx.AsyncClient], size: int) -> bool:
    deadline = time.monotonic() + POOL_WAIT_S
    while time.monotonic() < deadline:
        if all(v >= size for v in await asyncio.gather(*(pooled_slots(a) for a in apis.values()))):
            return True
        await asyncio.sleep(0.1)
    return False


async def first_commands(
    servers: dict[str, BenchServer], runs: int, pool_size: int = 0
) -> dict[str, dict[str, Any]]:
    """`runs` first-command runs per server (after one warm-up each), alternating between them."""
    models = {r: script_model(s.data_dir, "first_command", FIRST_COMMAND_SCRIPT) for r, s in servers.items()}
    samples: dict[str, list[float]] = {r: [] for r in servers}
    failed: dict[str, list[str]] = {r: [] for r in servers}
    pool_misses = 0
    async with contextlib.AsyncExitStack() as stack:
        apis = {r: await stack.enter_async_context(s.client()) for r, s in servers.items()}
        for i in range(runs + 1):
            for runtime in _order(i):
                if pool_size and not await _pools_full(apis, pool_size):
                    pool_misses += 1
                run = await first_command(apis[runtime], models[runtime])
                if run.environment_id:
                    servers[runtime].environments.add(run.environment_id)
                    await delete_environments(apis[runtime], [run.environment_id], concurrency=1)
                if i == 0:
                    continue  # warm-up: each server's first agent run pays its lazy imports
                if run.ok and run.result_s is not None:
                    samples[runtime].append(run.result_s)
                else:
                    failed[runtime].append(run.status)
    found = {}
    for runtime in servers:
        if not samples[runtime]:
            log = servers[runtime].log.read_text()[-3000:]
            raise SystemExit(f"no first-command run completed under {runtime}: {failed[runtime]}\n{log}")
        found[runtime] = {**summary(samples[runtime]), "failed": failed[runtime], "pool_misses": pool_misses}
    return found


async def idle_memory(
    servers: dict[str, BenchServer], count: int, settle_s: float
) -> dict[str, dict[str, Any]]:
    """`count` idle sessions per runtime; per-sandbox host cgroup memory, in MB."""
    client = docker.from_env(version="auto")
    made: dict[str, list[str]] = {}
    async with contextlib.AsyncExitStack() as stack:
        apis = {r: await stack.enter_async_context(s.client()) for r, s in servers.items()}
        for runtime in RUNTIMES:
            made[runtime], _ = await create_sessions(servers[runtime], apis[runtime], count, 1)
        await asyncio.sleep(settle_s)  # measure idle sandboxes, not starting ones
        found = {}
        for runtime in RUNTIMES:
            containers = await asyncio.to_thread(_containers_of, client, made[runtime])
            per = [await asyncio.to_thread(cgroup_memory, cid) for cid in containers.values()]
            if not per:
                raise SystemExit(f"no idle session came up under {runtime}")
            # gVisor keeps the sandbox's memory in a memory file (shmem, counted as cache): subtract
            # only the reclaimable file cache, for both runtimes alike.
            held = [(m["usage"] - m["cache"] + m["shmem"]) / MB for m in per]
            found[runtime] = {
                "n": len(per),
                "held_median_mb": round(statistics.median(held), 2),
                "held_max_mb": round(max(held), 2),
                "usage_total_per_sandbox_mb": round(sum(m["usage"] for m in per) / len(per) / MB, 2),
                "usage_no_cache_median_mb": round(
                    statistics.median(m["usage_no_cache"] / MB for m in per), 2
                ),
                "shmem_median_mb": round(statistics.median(m["shmem"] / MB for m in per), 2),
            }
            await delete_environments(apis[runtime], made[runtime])
    client.close()
    return found


def _pair(figure: str, results: dict[str, Any], key: str, p95: str = "p95_ms") -> dict[str, Any]:
    """A row: runc / runsc p50 (and p95), with runsc's ratio to runc at the median."""
    a, b = results["runc"][key], results["runsc"][key]
    return {
        "figure": f"{figure} (runsc {round(b['p50_ms'] / a['p50_ms'], 2)}x runc)",
        "p50": f"{a['p50_ms']} / {b['p50_ms']}",
        "p95": f"{a[p95]} / {b[p95]}" if p95 else "",
        "unit": "ms",
        "n": min(a["n"], b["n"]),
    }


def _memory_row(results: dict[str, Any], idle: int) -> dict[str, Any]:
    a, b = results["runc"]["idle_memory"], results["runsc"]["idle_memory"]
    key, total = "held_median_mb", "usage_total_per_sandbox_mb"
    return {
        "figure": f"runc / runsc: idle memory per sandbox, {idle} idle agent sessions each (host cgroup v1 "
        "usage minus reclaimable file cache, shmem kept: gVisor holds the sandbox's memory in shmem; "
        f"median, max in the p95 column; raw usage summed / N: {a[total]} / {b[total]} MB) "
        f"(runsc {round(b[key] / a[key], 2)}x runc)",
        "p50": f"{a[key]} / {b[key]}",
        "p95": f"{a['held_max_mb']} / {b['held_max_mb']}",
        "unit": "MB",
        "n": min(a["n"], b["n"]),
    }


def rows(results: dict[str, Any], pool_size: int, idle: int) -> list[dict[str, Any]]:
    """The lines of the README table: runc / runsc in each cell."""
    pids = f"{results['runc']['browser_pids_peak']} / {results['runsc']['browser_pids_peak']}"
    first = "create → first `run_code` bash result"
    return [
        _pair(
            "runc / runsc: cold provision, `DockerBackend` create + start + first exec",
            results,
            "backend_cold",
        ),
        _pair(f"runc / runsc: cold provision via the API (pool 0), {first}", results, "api_cold"),
        _pair(f"runc / runsc: warm provision via the API (pool {pool_size}), {first}", results, "api_warm"),
        _pair("runc / runsc: `run_code` python `1+1` (Toolbox, running sandbox)", results, "run_code_python"),
        _pair("runc / runsc: `run_code` bash `true` (Toolbox, running sandbox)", results, "run_code_bash"),
        _pair(
            "runc / runsc: browser tool, first `navigate` to a loopback page (Chromium starts)",
            results,
            "browser_first",
            p95="",
        ),
        _pair(
            "runc / runsc: browser tool, `navigate` again (Chromium running; peak tasks in the sandbox's "
            f"host pids cgroup {pids})",
            results,
            "browser_navigate",
        ),
        _memory_row(results, idle),
    ]


async def main(runs: int, pool_size: int, idle: int, navigates: int, settle_s: float) -> dict[str, Any]:
    client = docker.from_env(version="auto")
    missing = set(RUNTIMES) - runtimes_of(client.info())
    if missing:
        raise SystemExit(f"the engine lacks {sorted(missing)}: run `make engine` first")
    image = (await asyncio.to_thread(build_image, client)).sandbox
    started = time.monotonic()
    try:
        results: dict[str, Any] = await backend_series(image, runs, navigates)
    finally:
        await asyncio.to_thread(remove_floor, client)
    _phase("engine cold provision and tools done", started)
    with contextlib.ExitStack() as stack:
        servers = {
            r: stack.enter_context(warren_server(image, {"WARREN_POOL_SIZE": "0", "WARREN_RUNTIME": r}))
            for r in RUNTIMES
        }
        for runtime, figures in (await first_commands(servers, runs)).items():
            results[runtime]["api_cold"] = figures
        _phase("API cold provision done", started)
        for runtime, figures in (await idle_memory(servers, idle, settle_s)).items():
            results[runtime]["idle_memory"] = figures
        _phase("idle memory done", started)
    with contextlib.ExitStack() as stack:
        extra = {"WARREN_POOL_SIZE": str(pool_size)}
        servers = {
            r: stack.enter_context(warren_server(image, {**extra, "WARREN_RUNTIME": r})) for r in RUNTIMES
        }
        for runtime, figures in (await first_commands(servers, runs, pool_size)).items():
            results[runtime]["api_warm"] = figures
    return {
        "benchmark": "runtimes",
        "machine": {"cpus": os.cpu_count()},
        "engine": client.version().get("Version"),
        "image": image,
        "elapsed_s": round(time.monotonic() - started, 1),
        "results": results,
        "rows": rows(results, pool_size, idle),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="runs per measurement (default 10)")
    parser.add_argument("--pool-size", type=int, default=2, help="WARREN_POOL_SIZE of the warm runs")
    parser.add_argument("--idle", type=int, default=5, help="idle sessions per runtime (default 5)")
    parser.add_argument("--navigates", type=int, default=10, help="warm browser navigates (default 10)")
    parser.add_argument("--settle-s", type=float, default=5.0, help="idle time before memory is read")
    args = parser.parse_args()
    exit_on_sigterm()
    figures = asyncio.run(main(args.runs, args.pool_size, args.idle, args.navigates, args.settle_s))
    print(json.dumps(figures, indent=2))
