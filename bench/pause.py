"""A pause that keeps running state, against today's stop (issue 20, item 6), under gVisor.

One environment, one agent session in it; then, alternating run by run:
  pause            `EnvironmentService.stop(keep_memory=True)`, as the idle stopper calls it: the
                   runner is ordered off the channel, then the sandbox is checkpointed (memory and
                   processes) and exits
  resume           create request of the next interaction to its end: the sandbox restored from the
                   checkpoint, the runner polls again, the scripted model's `run_code` python
                   `print(x)` answers from the kernel's variable set before the pause
  stop / start     the same with a plain stop (processes lost): the next interaction starts the
                   container anew (a new runner claims its token) and sets the variable again
It also reports the checkpoint's size on the host's disk and fails if a resume lost the variable.
The server is in-process (the app `warren serve` builds, on its event loop), SQLite, gVisor.

Usage: python -m bench.pause [--runs N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import docker
import httpx

from bench.stats import latency_row, ratio, run_like_server, summary
from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.environments.service import EnvironmentService
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.sandbox.image import build_image
from orchestrator.sandbox.runtimes import GVISOR
from orchestrator.store import Store

V = "/v1beta"
TENANT = "bench-pause"


def _script(folder: Path, name: str, code: str) -> str:
    turns = [{"tool_calls": [{"name": "run_code", "arguments": {"language": "python", "code": code}}]}]
    (folder / f"{name}.json").write_text(json.dumps({"turns": [*turns, {"text": "done"}]}))
    return f"scripted:{name}"


async def _interaction(client: httpx.AsyncClient, model: str, environment: str | None) -> dict[str, Any]:
    body = {"agent": "default", "agent_config": {"type": "antigravity", "model": model}, "input": "go"}
    answer = await client.post(
        f"{V}/interactions", json=body | ({"environment": environment} if environment else {})
    )
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    if result.get("status") != "completed":
        raise SystemExit(f"interaction ended {result.get('status')}: {result.get('errors')}")
    return result


def _printed(result: dict[str, Any]) -> str:
    steps = [s for s in result.get("steps", []) if s.get("type") == "code_execution_result"]
    return str(steps[-1].get("result", "")) if steps else ""


def _checkpoint_mb(sandbox_id: str) -> float | None:
    """The checkpoint's size on the host's disk (the engine keeps it in the container's folder)."""
    folder = Path("/var/lib/docker/containers") / sandbox_id / "checkpoints"
    used = subprocess.run(["du", "-sb", str(folder)], capture_output=True, text=True, check=False)
    return round(int(used.stdout.split()[0]) / 1e6, 1) if used.returncode == 0 else None


async def main(runs: int) -> dict[str, Any]:
    engine = docker.from_env(version="auto")
    if not engine.info().get("ExperimentalBuild"):
        raise SystemExit(
            "the engine has no experimental features (checkpoints): restart dockerd after `make engine`"
        )
    image = (await asyncio.to_thread(build_image, engine)).sandbox
    folder = Path(tempfile.mkdtemp(prefix="wbp-", dir="/tmp"))  # runner sockets need short paths
    url = f"sqlite+aiosqlite:///{folder / 'warren.db'}"
    async with await Store.open(url) as store:
        _, key = await store.keys.create_key(TENANT, "bench")
    settings = Settings(
        data_dir=folder, sandbox_image=image, runtime=GVISOR, idle_stop_s=0, pool_size=0, scripts_dir=folder
    )
    app = build_app(settings)
    setting, reading = _script(folder, "set", "x = 41\nprint(x)"), _script(folder, "read", "print(x)")
    samples: dict[str, list[float]] = {"pause": [], "resume": [], "stop": [], "start": []}
    sizes: list[float] = []
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app),
                base_url="http://b",
                headers={"x-goog-api-key": key},
                timeout=120,
            ) as client,
        ):
            environments: EnvironmentService = app.state.services.environments
            env_id = (await _interaction(client, setting, None))["environment_id"]
            for run in range(runs + 1):  # the first pair warms up
                for kept in (True, False) if run % 2 else (False, True):
                    started = time.perf_counter()
                    await environments.stop(TENANT, env_id, keep_memory=kept)
                    stopped = time.perf_counter()
                    record = await environments.store.environments.get(TENANT, env_id)
                    if kept and record is not None and record.sandbox_id:
                        sizes.append(await asyncio.to_thread(_checkpoint_mb, record.sandbox_id) or 0.0)
                    result = await _interaction(client, reading if kept else setting, env_id)
                    if _printed(result).strip() != "41":
                        raise SystemExit(
                            f"after {'a pause' if kept else 'a stop'} the kernel printed {_printed(result)!r}"
                        )
                    if run:
                        samples["pause" if kept else "stop"].append(stopped - started)
                        samples["resume" if kept else "start"].append(time.perf_counter() - stopped)
    finally:
        for container in engine.containers.list(
            all=True, filters={"label": f"{LABEL_PREFIX}tenant={TENANT}"}
        ):
            container.remove(force=True, v=True)
        shutil.rmtree(folder, ignore_errors=True)
    results = {name: summary(values) for name, values in samples.items()}
    results["checkpoint_mb"] = {"median": sorted(sizes)[len(sizes) // 2] if sizes else None, "n": len(sizes)}
    return {"benchmark": "pause", "runtime": GVISOR, "results": results, "rows": rows(results)}


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines of the README table."""
    speedup = ratio(results["start"], results["resume"])
    return [
        latency_row(
            "idle pause with running state under gVisor: the runner parked, then an engine checkpoint "
            f"(memory and processes; {results['checkpoint_mb']['median']} MB on disk)",
            results["pause"],
        ),
        latency_row(
            "… resume: next interaction's create request → its end (sandbox restored, `run_code` python "
            f"`print(x)` prints the variable set before the pause; {speedup}x faster than after a stop)",
            results["resume"],
            target="variable kept",
            met=True,
        ),
        latency_row("… the same after today's stop instead: stop (processes lost)", results["stop"]),
        latency_row(
            "… and the next interaction after that stop (container started, new runner)", results["start"]
        ),
    ]


def cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=10, help="measured pause/resume and stop/start pairs (default 10)"
    )
    args = parser.parse_args()
    print(json.dumps(run_like_server(main(args.runs)), indent=2))


if __name__ == "__main__":
    cli()
