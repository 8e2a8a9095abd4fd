"""Sandbox provisioning benchmark: Warren's DockerBackend against plain docker-py, same run, same profile.

Measures (each over --runs runs, default 20; floor and backend runs interleaved, so drift hits both):
  engine_floor_cold   plain docker-py: containers.create(hardened kwargs) + start + exec_run("true")
  backend_cold        DockerBackend: create + start + first exec("true")
  engine_floor_exec   plain docker-py exec_run("true") in a running container
  backend_exec        DockerBackend.exec("true") in a running sandbox

`floor_once` and `remove_floor` are the engine floor that `bench.sessions` measures beside the API.
Every container and volume made here carries this run's label and is removed, also on failure.

Usage: python -m bench.provision [--runs N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import time
import uuid
from typing import Any

import docker

from bench.server import exit_on_sigterm
from bench.stats import latency_row, ratio, summary
from orchestrator.sandbox import DockerBackend, ExecRequest, SandboxSpec
from orchestrator.sandbox.hardening import container_kwargs
from orchestrator.sandbox.image import build_image

RUN = uuid.uuid4().hex[:8]
LABEL = {"dev.warren.bench": RUN}
"""On every container and volume of this run, so cleanup never touches another's."""


def floor_once(
    client: docker.DockerClient, image: str, i: int, ids: list[str], runtime: str | None = None
) -> float:
    """One plain docker-py create + start + exec_run("true") with the hardened profile, in seconds,
    under `runtime` (default: the engine's own default runtime).

    The workspace volume is made by the engine inside `create` (as Docker does for a named volume
    that does not exist yet), labelled with this run. The container id is appended to `ids` as soon
    as it exists, so a caller can remove it even when the run fails half-way (`remove_floor`).
    """
    spec = SandboxSpec(environment_id=f"floor-{i}", tenant="bench", labels=LABEL, runtime=runtime)
    volume = f"warren-floor-{RUN}-{i}-{uuid.uuid4().hex[:6]}"
    kwargs = container_kwargs(spec, image, volume, volume)
    started = time.perf_counter()
    container = client.containers.create(**kwargs)
    ids.append(str(container.id))
    container.start()
    code, _ = container.exec_run(["true"])
    elapsed = time.perf_counter() - started
    assert code == 0
    return elapsed


def remove_floor(client: docker.DockerClient) -> None:
    """Remove every container of this run (and its volume) made by `floor_once` or the backend."""
    for container in client.containers.list(all=True, filters={"label": f"dev.warren.bench={RUN}"}):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True, v=True)
    for volume in client.volumes.list(filters={"name": f"warren-floor-{RUN}-"}):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            volume.remove(force=True)
    for volume in client.volumes.list(filters={"label": f"dev.warren.bench={RUN}"}):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            volume.remove(force=True)


async def backend_once(backend: DockerBackend, i: int, ids: list[str]) -> float:
    """One `DockerBackend` create + start + first exec("true"), in seconds."""
    started = time.perf_counter()
    info = await backend.create(SandboxSpec(environment_id=f"bench-{i}", tenant="bench", labels=LABEL))
    ids.append(info.id)
    await backend.start(info.id)
    result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("true",)))
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0
    return elapsed


async def interleaved(
    backend: DockerBackend,
    client: docker.DockerClient,
    image: str,
    runs: int,
    ids: tuple[list[str], list[str]],
) -> tuple[list[float], list[float]]:
    """Floor and backend runs alternate (which goes first alternates too), so a drift of the machine
    during the run reaches both figures alike."""
    floor_ids, cold_ids = ids
    floor: list[float] = []
    cold: list[float] = []
    for i in range(runs):
        if i % 2 == 0:
            floor.append(await asyncio.to_thread(floor_once, client, image, i, floor_ids))
            cold.append(await backend_once(backend, i, cold_ids))
        else:
            cold.append(await backend_once(backend, i, cold_ids))
            floor.append(await asyncio.to_thread(floor_once, client, image, i, floor_ids))
    return floor, cold


def rows(results: dict[str, dict[str, Any]], ratios: dict[str, float]) -> list[dict[str, Any]]:
    """The lines of the README table."""
    floor, cold = results["engine_floor_cold"], results["backend_cold"]
    return [
        latency_row("plain docker-py: create + start + first exec, hardened profile (engine floor)", floor),
        latency_row(
            "`DockerBackend`: create + start + first exec",
            cold,
            target=f"≤ 400 ms, ≤ 2x floor ({ratios['backend_cold_vs_floor']}x)",
            met=cold["p50_ms"] <= 400 and ratios["backend_cold_vs_floor"] <= 2.0,
        ),
        {
            "figure": 'plain docker-py `exec_run("true")` / `DockerBackend.exec("true")`',
            "p50": f"{results['engine_floor_exec']['p50_ms']} / {results['backend_exec']['p50_ms']}",
            "p95": f"{results['engine_floor_exec']['p95_ms']} / {results['backend_exec']['p95_ms']}",
            "unit": "ms",
            "n": results["backend_exec"]["n"],
        },
    ]


async def main(runs: int) -> dict[str, Any]:
    client = docker.from_env(version="auto")
    image = build_image(client).sandbox
    floor_ids: list[str] = []
    cold_ids: list[str] = []
    try:
        async with DockerBackend(image=image) as backend:
            try:
                ids = (floor_ids, cold_ids)
                floor_samples, cold_samples = await interleaved(backend, client, image, runs, ids)

                container = client.containers.get(floor_ids[0])
                floor_exec = []
                backend_exec = []
                for _ in range(runs):  # interleaved, as above
                    started = time.perf_counter()
                    container.exec_run(["true"])
                    floor_exec.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await backend.exec(ExecRequest(sandbox_id=cold_ids[0], cmd=("true",)))
                    backend_exec.append(time.perf_counter() - started)
            finally:
                for cid in cold_ids:  # the backend also releases a bounded workspace's loop device
                    await backend.destroy(cid)
    finally:
        await asyncio.to_thread(remove_floor, client)

    results = {
        "engine_floor_cold": summary(floor_samples),
        "backend_cold": summary(cold_samples),
        "engine_floor_exec": summary(floor_exec),
        "backend_exec": summary(backend_exec),
    }
    ratios = {
        "backend_cold_vs_floor": ratio(results["backend_cold"], results["engine_floor_cold"]),
        "backend_exec_vs_floor": ratio(results["backend_exec"], results["engine_floor_exec"]),
    }
    return {
        "benchmark": "provision",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "engine": client.version().get("Version"),
        "image": image,
        "results": results,
        "ratios": ratios,
        "targets": {"cold_p50_ms": 400, "cold_vs_floor_max": 2.0},
        "rows": rows(results, ratios),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="runs per measurement (default 20)")
    exit_on_sigterm()
    print(json.dumps(asyncio.run(main(parser.parse_args().runs)), indent=2))
