"""API throughput benchmark: foreground `scripted:echo` interactions through the real HTTP stack.

The server is Warren's own app (`create_app`, a fresh SQLite file, no sandboxes) served by uvicorn on
a free 127.0.0.1 port inside this process. The clients run in one child process and talk to it over
the loopback socket, so their CPU does not share the server's interpreter (on a 2-core machine the
server gets one core, as it would with remote clients) and HTTP parsing, auth and JSON are measured.

Measures:
  throughput   --count foreground creates from --concurrency clients at once; every answer must be
               `completed`; interactions created and completed per second
  create_get   --pairs sequential create (foreground) + get of the same interaction, one at a time:
               p50/p95 latency of the pair

Usage: python -m bench.api [--count N] [--concurrency C] [--pairs P]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import platform
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench.stats import summary
from orchestrator.api.app import create_app
from orchestrator.api.deps import Services
from orchestrator.config import Settings

MODEL = "scripted:echo"
TIME_LIMIT_S = 300.0
"""No phase of the load runs longer than this; the client gives up and reports what it saw."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _create(client: httpx.AsyncClient, n: int) -> dict[str, Any]:
    response = await client.post("/v1beta/interactions", json={"model": MODEL, "input": f"ping {n}"})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def _throughput(client: httpx.AsyncClient, count: int, concurrency: int) -> dict[str, Any]:
    todo = iter(range(count))
    done = failed = 0
    deadline = time.monotonic() + TIME_LIMIT_S

    async def worker() -> None:
        nonlocal done, failed
        for n in todo:
            if time.monotonic() > deadline:
                return
            try:
                body = await _create(client, n)
            except httpx.HTTPError:
                failed += 1
                continue
            ok = body.get("status") == "completed" and body["steps"][-1]["content"][0]["text"] == f"ping {n}"
            if ok:
                done += 1
            else:
                failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "count": count,
        "concurrency": concurrency,
        "completed": done,
        "failed": failed,
        "elapsed_s": round(elapsed, 3),
        "interactions_per_s": round(done / elapsed, 1),
    }


async def _create_get(client: httpx.AsyncClient, pairs: int) -> dict[str, Any]:
    samples = []
    deadline = time.monotonic() + TIME_LIMIT_S
    for n in range(pairs):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        made = await _create(client, n)
        got = await client.get(f"/v1beta/interactions/{made['id']}")
        samples.append(time.perf_counter() - started)
        got.raise_for_status()
        assert got.json()["status"] == "completed", got.text
    return summary(samples)


async def _load(base_url: str, key: str, count: int, concurrency: int, pairs: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"x-goog-api-key": key}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60) as client:
        await _throughput(client, min(50, count), min(8, concurrency))  # warm-up: imports, pools, caches
        throughput = await _throughput(client, count, concurrency)
        latency = await _create_get(client, pairs)
    return {"throughput": throughput, "create_get": latency}


def _client_process(base_url: str, key: str, count: int, concurrency: int, pairs: int) -> dict[str, Any]:
    """The load generator's entry point in the child process."""
    return asyncio.run(_load(base_url, key, count, concurrency, pairs))


async def main(count: int, concurrency: int, pairs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="warren-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), sandboxes=False, rate_limit_per_s=0)  # measure, not throttle
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        try:
            services: Services = server.config.loaded_app.app.state.services  # type: ignore[attr-defined]
            _, key = await services.store.keys.create_key("bench", "bench")
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                results = await asyncio.get_running_loop().run_in_executor(
                    pool, _client_process, f"http://127.0.0.1:{port}", key, count, concurrency, pairs
                )
        finally:
            server.should_exit = True
            await serving
    return {
        "benchmark": "api",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "server": "uvicorn (in this process, one event loop) on 127.0.0.1; clients in a child process",
        "store": "sqlite (fresh file, WAL)",
        "model": MODEL,
        "results": results,
        "targets": {"interactions_per_s": 300},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000, help="interactions in the throughput run")
    parser.add_argument("--concurrency", type=int, default=32, help="clients at once (default 32)")
    parser.add_argument("--pairs", type=int, default=200, help="sequential create+get pairs (default 200)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.count, args.concurrency, args.pairs)), indent=2))
