"""Concurrent agent interactions through the public API, with the scripted model.

A real `warren serve` (WARREN_POOL_SIZE=0, per-tenant running cap 64 so one key's --concurrency
interactions do not queue) gets --concurrency (default 20) foreground agent interactions at once.
The scripted model runs `run_code` bash `true` once and then answers, so each interaction makes two
model turns and one tool call in its sandbox. One warm-up interaction runs first and is discarded.

Measures:
  fresh     one round: each interaction on a new environment (sandbox created and started, runner up,
            tool, answer): all must complete; interactions per second, p50/p95 latency
  running   --rounds rounds (default 3): each interaction on one of the environments of `fresh`, whose
            sandboxes are running; latency over all rounds, throughput per round (median)

Each round also records where the CPU went (`cpu`: seconds used by the server, dockerd, containerd,
the sandboxes' cgroups, and the rest of the host's busy time), the profile of a missed target.

Every environment is deleted afterwards; the server's sweep removes anything left.

Usage: python -m bench.concurrent [--concurrency N] [--rounds R]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from typing import Any

import httpx

from bench.server import (
    FIRST_COMMAND_SCRIPT,
    BenchServer,
    agent_interaction,
    cpu_snapshot,
    cpu_split,
    delete_environments,
    exit_on_sigterm,
    script_model,
    warren_server,
)
from bench.stats import latency_row, summary
from orchestrator.sandbox.image import build_image


async def _round(
    server: BenchServer, api: httpx.AsyncClient, model: str, environments: list[str | None]
) -> dict[str, Any]:
    """One interaction per entry of `environments` (None: a new one), all at once."""

    async def one(env: str | None) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        try:
            done = await agent_interaction(api, model, environment=env)
        except httpx.HTTPError as exc:
            done = {"status": "http_error", "errors": [repr(exc)]}
        return time.perf_counter() - started, done

    cpu_before = await asyncio.to_thread(cpu_snapshot, server)
    started = time.perf_counter()
    answers = await asyncio.gather(*(one(env) for env in environments))
    elapsed = time.perf_counter() - started
    cpu = cpu_split(cpu_before, await asyncio.to_thread(cpu_snapshot, server), elapsed)
    statuses: dict[str, int] = {}
    env_ids, errors = [], []
    for _latency, done in answers:
        statuses[done.get("status", "?")] = statuses.get(done.get("status", "?"), 0) + 1
        if done.get("environment_id"):
            env_ids.append(done["environment_id"])
            server.environments.add(done["environment_id"])
        if done.get("status") != "completed":
            errors.append(done.get("errors"))
    return {
        "latencies": [latency for latency, _ in answers],
        "elapsed_s": elapsed,
        "statuses": statuses,
        "completed": statuses.get("completed", 0),
        "errors": errors[:3],
        "environments": env_ids,
        "cpu": cpu,
    }


def rows(results: dict[str, Any], concurrency: int) -> list[dict[str, Any]]:
    """The lines of the README table."""
    fresh, running = results["fresh"], results["running"]
    return [
        latency_row(
            f"{concurrency} concurrent agent interactions (scripted: `run_code` bash `true`, then "
            f"answer), each on a new sandbox: {fresh['completed']}/{fresh['count']} completed, "
            f"{fresh['interactions_per_s']} interactions/s",
            fresh["latency"],
            target="all complete",
            met=fresh["completed"] == fresh["count"],
        ),
        latency_row(
            f"{concurrency} concurrent agent interactions on running sessions, "
            f"{running['rounds']} rounds: {running['completed']}/{running['count']} completed, "
            f"{running['interactions_per_s']} interactions/s (median round)",
            running["latency"],
            target="all complete",
            met=running["completed"] == running["count"],
        ),
    ]


async def main(concurrency: int, rounds: int) -> dict[str, Any]:
    image = (await asyncio.to_thread(build_image)).sandbox
    with warren_server(image, {"WARREN_POOL_SIZE": "0"}) as server:
        model = script_model(server.data_dir, "first_command", FIRST_COMMAND_SCRIPT)
        async with server.client(connections=concurrency + 4) as api:
            warm = await _round(server, api, model, [None])
            await delete_environments(api, warm["environments"])
            fresh = await _round(server, api, model, [None] * concurrency)
            envs: list[str | None] = list(fresh["environments"])
            running = [await _round(server, api, model, envs) for _ in range(rounds)] if envs else []
            await delete_environments(api, fresh["environments"])
    latencies = [s for r in running for s in r["latencies"]]
    results = {
        "fresh": {
            "count": concurrency,
            "completed": fresh["completed"],
            "statuses": fresh["statuses"],
            "errors": fresh["errors"],
            "elapsed_s": round(fresh["elapsed_s"], 3),
            "interactions_per_s": round(fresh["completed"] / fresh["elapsed_s"], 2),
            "latency": summary(fresh["latencies"]),
            "cpu": fresh["cpu"],
        },
        "running": {
            "rounds": len(running),
            "count": sum(len(r["latencies"]) for r in running),
            "completed": sum(r["completed"] for r in running),
            "errors": [e for r in running for e in r["errors"]][:3],
            "interactions_per_s": round(
                statistics.median([r["completed"] / r["elapsed_s"] for r in running]) if running else 0.0,
                2,
            ),
            "per_round_s": [round(r["elapsed_s"], 3) for r in running],
            "cpu_per_round": [r["cpu"] for r in running],
            "latency": summary(latencies) if latencies else {"n": 0, "p50_ms": None, "p95_ms": None},
        },
    }
    return {
        "benchmark": "concurrent",
        "machine": {"cpus": os.cpu_count()},
        "image": image,
        "model": "scripted: run_code bash `true`, then answer",
        "results": results,
        "targets": {"all_complete": True},
        "rows": rows(results, concurrency),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, default=20, help="interactions at once (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds on running sessions (default 3)")
    args = parser.parse_args()
    exit_on_sigterm()
    print(json.dumps(asyncio.run(main(args.concurrency, args.rounds)), indent=2, ensure_ascii=False))
