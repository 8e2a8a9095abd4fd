"""Sandbox provisioning benchmark: Warren's DockerBackend against plain docker-py, same run, same profile.

Measures (each over --runs runs, default 20):
  engine_floor_cold   plain docker-py: containers.create(hardened kwargs) + start + exec_run("true")
  backend_cold        DockerBackend: create + start + first exec("true")
  engine_floor_exec   plain docker-py exec_run("true") in a running container
  backend_exec        DockerBackend.exec("true") in a running sandbox

Usage: python bench/provision.py [--runs N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
import uuid

import docker

from bench.stats import ratio, summary
from orchestrator.sandbox import DockerBackend, ExecRequest, SandboxSpec
from orchestrator.sandbox.hardening import container_kwargs
from orchestrator.sandbox.image import build_image

LABEL = {"dev.warren.bench": uuid.uuid4().hex[:8]}


async def backend_cold(backend: DockerBackend, runs: int) -> tuple[list[float], list[str]]:
    samples, ids = [], []
    for i in range(runs):
        started = time.perf_counter()
        info = await backend.create(SandboxSpec(environment_id=f"bench-{i}", tenant="bench", labels=LABEL))
        await backend.start(info.id)
        result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("true",)))
        samples.append(time.perf_counter() - started)
        assert result.exit_code == 0
        ids.append(info.id)
    return samples, ids


def floor_cold(client: docker.DockerClient, image: str, runs: int) -> tuple[list[float], list[str]]:
    samples, ids = [], []
    for i in range(runs):
        spec = SandboxSpec(environment_id=f"floor-{i}", tenant="bench", labels=LABEL)
        kwargs = container_kwargs(
            spec, image, f"warren-floor-{LABEL['dev.warren.bench']}-{i}", f"floor-vol-{i}"
        )
        started = time.perf_counter()
        container = client.containers.create(**kwargs)
        container.start()
        code, _ = container.exec_run(["true"])
        samples.append(time.perf_counter() - started)
        assert code == 0
        ids.append(container.id)
    return samples, ids


async def main(runs: int) -> dict[str, object]:
    client = docker.from_env(version="auto")
    image = build_image(client).sandbox
    async with DockerBackend(image=image) as backend:
        floor_samples, floor_ids = await asyncio.to_thread(floor_cold, client, image, runs)
        cold_samples, cold_ids = await backend_cold(backend, runs)

        container = client.containers.get(floor_ids[0])
        floor_exec = []
        for _ in range(runs):
            started = time.perf_counter()
            container.exec_run(["true"])
            floor_exec.append(time.perf_counter() - started)
        backend_exec = []
        for _ in range(runs):
            started = time.perf_counter()
            await backend.exec(ExecRequest(sandbox_id=cold_ids[0], cmd=("true",)))
            backend_exec.append(time.perf_counter() - started)

        for cid in cold_ids:
            await backend.destroy(cid)
        for cid in floor_ids:
            client.containers.get(cid).remove(force=True, v=True)
        for volume in client.volumes.list(filters={"name": "floor-vol-"}):
            volume.remove(force=True)

    results = {
        "engine_floor_cold": summary(floor_samples),
        "backend_cold": summary(cold_samples),
        "engine_floor_exec": summary(floor_exec),
        "backend_exec": summary(backend_exec),
    }
    return {
        "benchmark": "provision",
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "engine": client.version().get("Version"),
        "image": image,
        "results": results,
        "ratios": {
            "backend_cold_vs_floor": ratio(results["backend_cold"], results["engine_floor_cold"]),
            "backend_exec_vs_floor": ratio(results["backend_exec"], results["engine_floor_exec"]),
        },
        "targets": {"cold_p50_ms": 400, "cold_vs_floor_max": 2.0},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="runs per measurement (default 20)")
    print(json.dumps(asyncio.run(main(parser.parse_args().runs)), indent=2))
