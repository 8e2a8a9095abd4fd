"""Idle sessions held at once: memory per idle sandbox, and API latency while they idle.

A real `warren serve` (WARREN_POOL_SIZE=0, idle stop off) gets --sessions (default 200) foreground agent
interactions with the `scripted:echo` model, --concurrency at a time: each makes its own environment,
whose sandbox starts with the runner, answers, and then idles (no browser, no kernel). Then:

  memory        per sandbox, from its cgroup (this engine is cgroup v1, cgroupfs driver:
                /sys/fs/cgroup/memory/docker/<id>/): `usage` = memory.usage_in_bytes (anonymous memory,
                page cache, tmpfs and kernel memory); `usage_no_cache` = usage - (total_cache -
                total_shmem) (what the target is checked against: the page cache of the shared image
                files is charged to whichever sandbox touched a page first, so it is not a per-sandbox
                cost; shmem is kept: it is not reclaimable, and under gVisor it is the sandbox's whole
                memory, the sentry's memory file); `docker_stats`
                = usage - total_inactive_file (what `docker stats` shows). Also the host's
                MemAvailable drop and the server's RSS growth per session, and the containerd shim
                each sandbox costs outside its cgroup.
  cpu           host CPU each idle sandbox uses, from its cgroup's cpuacct.usage over --cpu-window-s
                (default 10) before the idle latency is taken (the sentry's and the gofer's work
                included under gVisor), and the share of the machine all of them use together
  api_latency   --requests sequential `GET /v1beta/interactions/<id>` and `scripted:echo` creates
                (model form, no sandbox), before the sessions exist and while they idle, same run
  breakdown     the processes of one idle sandbox (RSS, PSS and private memory from the host's
                /proc/<pid>/smaps_rollup), its cgroup counters, and the same for one extra session that
                ran `run_code` python and bash (kernel and shell up); plus the peak RSS of a fresh
                interpreter in a sandbox importing each of the runner's heavy modules alone, to split
                the runner's memory into the interpreter and its imports.

Every environment is deleted through the API afterwards (timed); the server's sweep removes anything left.

Usage: python -m bench.idle [--sessions N] [--concurrency C] [--requests R] [--settle-s S] [--runtime R]
       (prints JSON)
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
from pathlib import Path
from typing import Any

import docker
import httpx

from bench.server import (
    ENV_LABEL,
    BenchServer,
    agent_interaction,
    delete_environments,
    exit_on_sigterm,
    script_model,
    warren_server,
)
from bench.stats import latency_row, ratio, summary
from orchestrator.sandbox.image import build_image

MB = 1 << 20
CGROUP = Path("/sys/fs/cgroup/memory/docker")
CPUACCT = Path("/sys/fs/cgroup/cpuacct/docker")
USED_SCRIPT: dict[str, Any] = {
    "description": "Use the Python kernel and the bash session once each, then answer.",
    "turns": [
        {"tool_calls": [{"name": "run_code", "arguments": {"language": "python", "code": "1+1"}}]},
        {"tool_calls": [{"name": "run_code", "arguments": {"language": "bash", "code": "true"}}]},
        {"text": "done"},
    ],
}
IMPORTS_PROBE = (
    "import resource, sys; import {module}; import json; "
    "print(json.dumps({{'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
    "'third_party': sorted({{m.split('.')[0] for m in sys.modules}} - set(sys.stdlib_module_names)), "
    "'modules': len(sys.modules)}}))"
)
"""Peak RSS and loaded modules of a fresh interpreter after importing `module` (inside a sandbox)."""
PROBED = (
    "sys",
    "yaml",
    "pydantic",
    "httpx",
    "agents.protocol",
    "agents.tools.bash",
    "agents.tools.kernel",
    "agents.tools.browser",
    "agents.tools.files",
    "agents.tools.search",
    "agents.tools.skill",
    "agents.tools",
    "agents.runner",
)
"""What the runner imports, each alone in a fresh interpreter (`sys`: the bare interpreter); the last
one is everything the runner holds before its first turn."""


def _mb(value: float) -> float:
    return round(value / MB, 2)


def _spread(values: list[float]) -> dict[str, Any]:
    """Median, mean, min, max of byte counts, in MB."""
    return {
        "n": len(values),
        "median_mb": _mb(statistics.median(values)),
        "mean_mb": _mb(statistics.fmean(values)),
        "min_mb": _mb(min(values)),
        "max_mb": _mb(max(values)),
        "total_mb": _mb(sum(values)),
    }


def cgroup_memory(container_id: str) -> dict[str, int]:
    """The memory counters of one container's cgroup v1, in bytes."""
    folder = CGROUP / container_id
    stat = dict(line.split() for line in (folder / "memory.stat").read_text().splitlines())
    usage = int((folder / "memory.usage_in_bytes").read_text())
    kmem_file = folder / "memory.kmem.usage_in_bytes"
    return {
        "usage": usage,
        "usage_no_cache": usage - int(stat["total_cache"]) + int(stat["total_shmem"]),
        "docker_stats": usage - int(stat["total_inactive_file"]),
        "rss": int(stat["total_rss"]),
        "cache": int(stat["total_cache"]),
        "shmem": int(stat["total_shmem"]),
        "mapped_file": int(stat["total_mapped_file"]),
        "kmem": int(kmem_file.read_text()) if kmem_file.exists() else 0,
    }


async def idle_cpu(container_ids: list[str], window_s: float) -> dict[str, Any]:
    """Host CPU of each idle sandbox over `window_s`, in ms per second (cgroup v1 cpuacct.usage, ns)."""

    def used() -> dict[str, int]:
        return {cid: int((CPUACCT / cid / "cpuacct.usage").read_text()) for cid in container_ids}

    first, started = await asyncio.to_thread(used), time.monotonic()
    await asyncio.sleep(window_s)
    last, elapsed = await asyncio.to_thread(used), time.monotonic() - started
    per = [(last[cid] - first[cid]) / 1e6 / elapsed for cid in container_ids]
    return {
        "window_s": round(elapsed, 2),
        "n": len(per),
        "median_ms_per_s": round(statistics.median(per), 3),
        "max_ms_per_s": round(max(per), 3),
        "all_share_of_machine": round(sum(per) / 1000 / (os.cpu_count() or 1), 4),
    }


def _meminfo(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _smaps(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) * 1024
    return values


def _cmdline(pid: int) -> str:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    return raw[:120]


def process_breakdown(container: Any) -> list[dict[str, Any]]:
    """RSS, PSS and private memory of each process in a container, from the host's /proc."""
    top = container.top()
    pid_col = top["Titles"].index("PID")
    rows = []
    for proc in top["Processes"]:
        pid = int(proc[pid_col])
        with contextlib.suppress(OSError):
            smaps = _smaps(pid)
            rows.append(
                {
                    "pid": pid,
                    "command": _cmdline(pid),
                    "rss_mb": _mb(smaps.get("Rss", 0)),
                    "pss_mb": _mb(smaps.get("Pss", 0)),
                    "private_mb": _mb(smaps.get("Private_Clean", 0) + smaps.get("Private_Dirty", 0)),
                    "anonymous_mb": _mb(smaps.get("Anonymous", 0)),
                }
            )
    return sorted(rows, key=lambda r: -r["pss_mb"])


def shim_rss(container: Any) -> int:
    """RSS of the containerd shim that holds this container (host memory outside its cgroup)."""
    pid = int(container.attrs["State"]["Pid"])
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    if "shim" not in _cmdline(parent):
        return 0
    return _smaps(parent).get("Rss", 0)


def breakdown(client: docker.DockerClient, container_id: str) -> dict[str, Any]:
    container = client.containers.get(container_id)
    memory = cgroup_memory(str(container.id))
    return {
        "cgroup_mb": {k: _mb(v) for k, v in memory.items()},
        "processes": process_breakdown(container),
        "containerd_shim_rss_mb": _mb(shim_rss(container)),
    }


def import_probe(client: docker.DockerClient, container_id: str) -> dict[str, Any]:
    """Peak RSS of a fresh interpreter importing each of `PROBED` alone, inside a sandbox."""
    container = client.containers.get(container_id)
    found: dict[str, Any] = {}
    for module in PROBED:
        code, out = container.exec_run(["python", "-c", IMPORTS_PROBE.format(module=module)])
        assert isinstance(out, bytes)
        if code:
            found[module] = {"error": out.decode(errors="replace")[-300:]}
            continue
        probe = json.loads(out)
        found[module] = {"maxrss_mb": round(probe["maxrss_kb"] / 1024, 2), "modules": probe["modules"]}
        if module == PROBED[-1]:
            found[module]["third_party"] = probe["third_party"]
    return found


async def api_latency(api: httpx.AsyncClient, requests: int) -> dict[str, Any]:
    """Sequential GET of a stored interaction and `scripted:echo` creates; p50/p95 of each."""
    first = await api.post("/v1beta/interactions", json={"model": "scripted:echo", "input": "warm"})
    first.raise_for_status()
    path = f"/v1beta/interactions/{first.json()['id']}"
    for _ in range(10):  # warm-up
        (await api.get(path)).raise_for_status()
    gets, creates = [], []
    for _ in range(requests):
        started = time.perf_counter()
        response = await api.get(path)
        gets.append(time.perf_counter() - started)
        response.raise_for_status()
    for n in range(requests):
        started = time.perf_counter()
        response = await api.post("/v1beta/interactions", json={"model": "scripted:echo", "input": f"p{n}"})
        creates.append(time.perf_counter() - started)
        response.raise_for_status()
        assert response.json()["status"] == "completed", response.text
    return {"get_interaction": summary(gets), "create_echo": summary(creates)}


async def create_sessions(
    server: BenchServer, api: httpx.AsyncClient, count: int, concurrency: int
) -> tuple[list[str], dict[str, Any]]:
    """`count` agent interactions on new environments, `concurrency` at a time; their environment ids."""
    todo = iter(range(count))
    env_ids: list[str] = []
    failures: list[str] = []
    latencies: list[float] = []

    async def worker() -> None:
        for n in todo:
            started = time.perf_counter()
            try:
                done = await agent_interaction(api, "scripted:echo", f"hello {n}")
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
                continue
            latencies.append(time.perf_counter() - started)
            if done.get("environment_id"):
                env_ids.append(done["environment_id"])
                server.environments.add(done["environment_id"])
            if done.get("status") != "completed":
                failures.append(json.dumps(done.get("errors")))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return env_ids, {
        "count": count,
        "concurrency": concurrency,
        "created": len(env_ids),
        "failures": failures[:5],
        "failed": len(failures),
        "elapsed_s": round(elapsed, 2),
        "sessions_per_s": round(len(env_ids) / elapsed, 2),
        "latency": summary(latencies) if latencies else None,
    }


def _containers_of(client: docker.DockerClient, env_ids: list[str]) -> dict[str, str]:
    """Environment id -> id of its running container."""
    found = {}
    for env_id in env_ids:
        for container in client.containers.list(filters={"label": f"{ENV_LABEL}={env_id}"}):
            found[env_id] = str(container.id)
    return found


def rows(results: dict[str, Any], ratios: dict[str, float]) -> list[dict[str, Any]]:
    """The lines of the README table."""
    memory, sessions = results["memory"], results["memory"]["usage"]["n"]
    lost = results["sessions"]["count"] - sessions
    note = f", {lost} of {results['sessions']['count']} failed or vanished" if lost else ""
    idle, before = results["api_latency"]["idle"], results["api_latency"]["before"]
    host = results["host"]
    no_cache = memory["usage_no_cache"]
    return [
        {
            "figure": f"memory per idle sandbox, {sessions} held at once{note} "
            f"under {results.get('runtime', 'runc')} (cgroup v1 usage - reclaimable page cache, shmem "
            "kept; median, max in the p95 column)",
            "p50": no_cache["median_mb"],
            "p95": no_cache["max_mb"],
            "unit": "MB",
            "n": no_cache["n"],
            "target": "≤ 30 MB",
            "met": no_cache["median_mb"] <= 30,
        },
        *_paid_row(results),
        {
            "figure": "… raw cgroup `memory.usage_in_bytes` (page cache and kernel memory included); "
            f"outside the cgroup each sandbox also holds a containerd shim of "
            f"{(host['containerd_shim_rss_mb'] or {}).get('median_mb')} MB RSS",
            "p50": memory["usage"]["median_mb"],
            "p95": memory["usage"]["max_mb"],
            "unit": "MB",
            "n": memory["usage"]["n"],
        },
        *_cpu_row(results),
        latency_row(
            f"API `GET /v1beta/interactions/<id>` with {sessions} idle sessions "
            f"(before them: {before['get_interaction']['p50_ms']} ms, {ratios['get_idle_vs_before']}x)",
            idle["get_interaction"],
            target_ms=20,
        ),
        latency_row(
            f"API create `scripted:echo` interaction with {sessions} idle sessions "
            f"(before them: {before['create_echo']['p50_ms']} ms, {ratios['create_idle_vs_before']}x)",
            idle["create_echo"],
            target_ms=20,
        ),
    ]


def _cpu_row(results: dict[str, Any]) -> list[dict[str, Any]]:
    cpu = results.get("cpu")
    if not cpu:
        return []
    return [
        {
            "figure": f"host CPU per idle sandbox (cgroup cpuacct over {cpu['window_s']} s; median, max in "
            f"the p95 column): all {cpu['n']} together use {cpu['all_share_of_machine']:.1%} of the machine",
            "p50": cpu["median_ms_per_s"],
            "p95": cpu["max_ms_per_s"],
            "unit": "ms/s",
            "n": cpu["n"],
        }
    ]


def _paid_row(results: dict[str, Any]) -> list[dict[str, Any]]:
    paid = results.get("memory_paid")
    if not paid:
        return []
    return [
        {
            "figure": "… what a user pays per idle sandbox: the cgroup (usage - reclaimable cache) plus the "
            "containerd shim that holds it (host RSS outside the cgroup)",
            "p50": paid["median_mb"],
            "p95": paid["max_mb"],
            "unit": "MB",
            "n": paid["n"],
        }
    ]


async def main(
    sessions: int,
    concurrency: int,
    requests: int,
    settle_s: float,
    runtime: str | None = None,
    cpu_window_s: float = 10.0,
) -> dict[str, Any]:
    client = docker.from_env(version="auto")
    image = (await asyncio.to_thread(build_image, client)).sandbox
    chosen = {"WARREN_RUNTIME": runtime} if runtime else {}  # else the server's default (runsc if registered)
    with warren_server(image, {"WARREN_POOL_SIZE": "0", **chosen}) as server:
        async with server.client(connections=max(8, concurrency)) as api:
            before = await api_latency(api, requests)
            await asyncio.sleep(1)
            host_before, rss_before = _meminfo("MemAvailable"), server.rss_bytes()
            env_ids, made = await create_sessions(server, api, sessions, concurrency)
            await asyncio.sleep(settle_s)  # let start-up garbage settle: measure idle, not starting
            containers = await asyncio.to_thread(_containers_of, client, env_ids)
            if not containers:
                raise SystemExit(f"no idle session came up: {made}\n{server.log.read_text()[-3000:]}")
            per = [await asyncio.to_thread(cgroup_memory, cid) for cid in containers.values()]
            host_after, rss_after = _meminfo("MemAvailable"), server.rss_bytes()
            cpu = await idle_cpu(list(containers.values()), cpu_window_s)
            idle = await api_latency(api, requests)
            shims = [
                await asyncio.to_thread(shim_rss, client.containers.get(cid))
                for cid in list(containers.values())[:10]
            ]
            # What a user pays for one idle sandbox: its cgroup plus the shim that holds it, per sandbox.
            paid = [float(m["usage_no_cache"] + shim) for m, shim in zip(per, shims, strict=False)]
            sample = next(iter(containers.values()))
            runtime = client.containers.get(sample).attrs["HostConfig"].get("Runtime") or "runc"
            idle_breakdown = await asyncio.to_thread(breakdown, client, sample)
            imports = await asyncio.to_thread(import_probe, client, sample)

            used_model = script_model(server.data_dir, "used", USED_SCRIPT)
            used = await agent_interaction(api, used_model, "use the tools")
            used_env = used.get("environment_id")
            used_breakdown: dict[str, Any] = {"status": used.get("status")}
            if used_env:
                server.environments.add(used_env)
                await asyncio.sleep(2)
                used_ids = await asyncio.to_thread(_containers_of, client, [used_env])
                if used_env in used_ids:
                    used_breakdown.update(await asyncio.to_thread(breakdown, client, used_ids[used_env]))

            started = time.perf_counter()
            deleted = await delete_environments(api, [*env_ids, *([used_env] if used_env else [])])
            delete_s = time.perf_counter() - started
    if made["failed"] or len(per) < sessions:
        print(
            f"warning: {made['failed']} sessions failed ({made['failures']}); "
            f"{len(per)} of {sessions} sandboxes were running when measured",
            file=sys.stderr,
        )
    n = max(1, len(per))
    memory = {key: _spread([float(m[key]) for m in per]) for key in per[0]} if per else {}
    results = {
        "runtime": runtime if per else None,
        "sessions": made,
        "memory": memory,
        "memory_paid": _spread(paid) if paid else None,
        "host": {
            "memavailable_drop_per_session_mb": _mb((host_before - host_after) / n),
            "server_rss_growth_per_session_mb": _mb((rss_after - rss_before) / n),
            "server_rss_mb": {"before": _mb(rss_before), "with_sessions": _mb(rss_after)},
            "containerd_shim_rss_mb": _spread([float(s) for s in shims]) if shims else None,
        },
        "cpu": cpu,
        "api_latency": {"before": before, "idle": idle},
        "breakdown": {
            "idle_session": idle_breakdown,
            "imports_peak_rss": imports,
            "used_session": used_breakdown,
        },
        "cleanup": {"deleted": deleted, "elapsed_s": round(delete_s, 2)},
    }
    ratios = {
        "get_idle_vs_before": ratio(idle["get_interaction"], before["get_interaction"]),
        "create_idle_vs_before": ratio(idle["create_echo"], before["create_echo"]),
    }
    return {
        "benchmark": "idle",
        "machine": {"cpus": os.cpu_count(), "memory_mb": _mb(_meminfo("MemTotal"))},
        "image": image,
        "memory_counter": "cgroup v1: usage_no_cache = memory.usage_in_bytes - total_cache + total_shmem "
        "(checked against the target); usage = memory.usage_in_bytes; docker_stats = usage - "
        "total_inactive_file",
        "results": results,
        "ratios": ratios,
        "targets": {"idle_sandbox_mb": 30, "api_p50_ms": 20},
        "rows": rows(results, ratios) if memory else [],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=200, help="idle sessions held at once (default 200)")
    parser.add_argument("--concurrency", type=int, default=8, help="sessions created at once (default 8)")
    parser.add_argument("--requests", type=int, default=100, help="API requests per latency figure")
    parser.add_argument("--settle-s", type=float, default=5.0, help="idle time before measuring")
    parser.add_argument(
        "--runtime", help="the server's WARREN_RUNTIME (default: its own choice, runsc if registered)"
    )
    parser.add_argument("--cpu-window-s", type=float, default=10.0, help="how long idle CPU is read")
    args = parser.parse_args()
    exit_on_sigterm()
    result = asyncio.run(
        main(args.sessions, args.concurrency, args.requests, args.settle_s, args.runtime, args.cpu_window_s)
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))
