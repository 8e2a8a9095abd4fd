"""A real `warren serve` for the benchmarks that go through the public API, and the calls they share.

    with warren_server(image, {"WARREN_POOL_SIZE": "0"}) as server:
        async with server.client() as api:
            result = await first_command(api, model)

The server runs as its own process (`warren serve` of this venv) with a fresh SQLite store in a short
temporary data directory, one API key (tenant `bench`), rate limiting off, idle stop off, and
per-tenant caps (running interactions, sandboxes) high enough for one key to hold the benchmarks'
sessions. Inherited `WARREN_*` variables are dropped so an operator's settings cannot leak into a run.
On exit (also on failure, Ctrl-C or SIGTERM) the server is stopped and every container and volume
labelled with its store is removed, so a benchmark leaves nothing behind on the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import docker
import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from orchestrator.environments.site import STORE_LABEL
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.sandbox.workspace_images import image_of, release_image
from orchestrator.store.urls import normalise_url
from tests.support.serve import wait_healthy

__all__ = [
    "ENV_LABEL",
    "FIRST_COMMAND_SCRIPT",
    "POOL_LABEL",
    "BenchServer",
    "FirstCommand",
    "agent_interaction",
    "cpu_snapshot",
    "cpu_split",
    "delete_environments",
    "exit_on_sigterm",
    "first_command",
    "pooled_slots",
    "script_model",
    "warren_server",
]

WARREN = str(Path(sys.executable).with_name("warren"))
TENANT = "bench"
POOL_LABEL = f"{LABEL_PREFIX}pool"
"""Label key of warm-pool sandboxes (not yet assigned to an environment)."""
ENV_LABEL = f"{LABEL_PREFIX}environment"
VOLUME_LABEL = f"{LABEL_PREFIX}workspace-volume"
"""On a container: the name of its workspace volume."""
HTTP_TIMEOUT_S = 120.0
"""No single API call of a benchmark waits longer than this."""

FIRST_COMMAND_SCRIPT: dict[str, Any] = {
    "description": "Run one command (`true` in bash), then answer.",
    "turns": [
        {"tool_calls": [{"name": "run_code", "arguments": {"language": "bash", "code": "true"}}]},
        {"text": "done"},
    ],
}
"""The scripted model of the first-command and concurrency benchmarks."""


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` blocks (container cleanup) run when killed politely."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, handler)


def script_model(folder: Path, name: str, script: Mapping[str, Any]) -> str:
    """Write a YAML script of the `scripted` provider into `folder`; returns its model name.

    A model names a script, never a path: `folder` must be the server's `WARREN_SCRIPTS_DIR` (the
    servers here use their data folder).
    """
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(dict(script)))
    return f"scripted:{name}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def store_label(data_dir: Path) -> dict[str, str]:
    """The label `EnvironmentService` puts on every sandbox of the store in `data_dir`."""
    url = normalise_url(f"sqlite+aiosqlite:///{data_dir / 'warren.db'}")
    rendered = make_url(url).render_as_string(hide_password=True)
    return {STORE_LABEL: hashlib.sha256(rendered.encode()).hexdigest()[:16]}


@dataclass
class BenchServer:
    """A running `warren serve`, its key, and where its sandboxes can be found on the engine."""

    url: str
    key: str
    data_dir: Path
    labels: dict[str, str]
    """The store label every sandbox and workspace volume of this server carries."""
    pid: int
    log: Path
    environments: set[str] = field(default_factory=set)
    """Environment ids a benchmark created; their containers are removed on exit whatever the labels."""

    def client(self, connections: int = 32) -> httpx.AsyncClient:
        """An HTTP client for the API, authenticated with the bench key."""
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(
            base_url=self.url,
            headers={"x-goog-api-key": self.key},
            limits=limits,
            timeout=HTTP_TIMEOUT_S,
        )

    def rss_bytes(self) -> int:
        """Resident memory of the server process (and its children), from /proc."""
        total = 0
        for pid in [self.pid, *_children(self.pid)]:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += [int(child), *_children(int(child))]
    return found


def _server_env(data_dir: Path, image: str, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARREN_")}
    env.update(
        {
            "WARREN_DATA_DIR": str(data_dir),
            "WARREN_SCRIPTS_DIR": str(data_dir),  # where `script_model` writes
            "WARREN_SANDBOX_IMAGE": image,
            "WARREN_RATE_LIMIT_PER_S": "0",  # measure the server, not the limiter
            "WARREN_IDLE_STOP_S": "0",  # idle sessions must stay up while they are measured
            "WARREN_MAX_RUNNING_PER_TENANT": "64",  # 20 concurrent interactions of one key must not queue
            "WARREN_TENANT_MAX_SANDBOXES": "1000",  # one key holds the 100 idle sessions
        }
    )
    env.update(extra)
    return env


def sweep(labels: Mapping[str, str], environments: set[str]) -> dict[str, int]:
    """Remove every container and workspace volume carrying `labels` (or naming one of `environments`).

    A bounded workspace volume sits on a loop-attached ext4 image: its loop device is detached and the
    image deleted too, as `DockerBackend.destroy` does.
    """
    client = docker.from_env(version="auto")
    try:
        selector = [f"{k}={v}" for k, v in labels.items()]
        containers = {c.id: c for c in client.containers.list(all=True, filters={"label": selector})}
        for env_id in environments:
            for c in client.containers.list(all=True, filters={"label": f"{ENV_LABEL}={env_id}"}):
                containers[c.id] = c
        volume_names = {str(c.labels[VOLUME_LABEL]) for c in containers.values() if VOLUME_LABEL in c.labels}
        for container in containers.values():
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
        volumes = {v.name: v for v in client.volumes.list(filters={"label": selector})}
        for name in volume_names:
            with contextlib.suppress(docker.errors.NotFound):
                volumes[name] = client.volumes.get(name)
        for volume in volumes.values():
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                volume.remove(force=True)
            release_image(image_of(volume.attrs))
        return {"containers": len(containers), "volumes": len(volumes)}
    finally:
        client.close()


@contextlib.contextmanager
def warren_server(
    image: str, extra_env: Mapping[str, str] | None = None, start_timeout_s: float = 120
) -> Iterator[BenchServer]:
    """Start `warren serve` on a free port with a fresh store; stop it and sweep its sandboxes after."""
    data_dir = Path(tempfile.mkdtemp(prefix="wb-", dir="/tmp"))  # runner sockets live here: keep it short
    env = _server_env(data_dir, image, extra_env or {})
    labels = store_label(data_dir)
    proc: subprocess.Popen[bytes] | None = None
    server: BenchServer | None = None
    try:
        made = subprocess.run(
            [WARREN, "keys", "create", "--tenant", TENANT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        key = made.stdout.strip()
        port, log = _free_port(), data_dir / "server.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [WARREN, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log, start_timeout_s)
        server = BenchServer(url, key, data_dir, labels, proc.pid, log)
        yield server
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        sweep(labels, server.environments if server else set())
        shutil.rmtree(data_dir, ignore_errors=True)


async def agent_interaction(
    api: httpx.AsyncClient, model: str, text: str = "go", environment: str | None = None
) -> dict[str, Any]:
    """A foreground agent interaction (the `default` agent with `model`); returns the wire object."""
    body: dict[str, Any] = {
        "agent": "default",
        "agent_config": {"type": "antigravity", "model": model},
        "input": text,
    }
    if environment is not None:
        body["environment"] = environment
    response = await api.post("/v1beta/interactions", json=body)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


@dataclass
class FirstCommand:
    """Timings of one first-command run, in seconds from sending the create request."""

    call_s: float | None
    """The `code_execution_call` step arrived: the sandbox was up and the model had answered."""
    result_s: float | None
    """The `code_execution_result` step arrived: the first command ran."""
    done_s: float
    """The stream ended (or the deadline passed)."""
    status: str
    """The interaction's last status seen, or `timeout` when the deadline passed first."""
    environment_id: str | None

    @property
    def ok(self) -> bool:
        return self.status == "completed" and self.call_s is not None and self.result_s is not None


RUN_DEADLINE_S = 60.0
"""A streamed run that has not ended by then counts as failed (keep-alives never let a read time out)."""


async def _sse(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    async for line in response.aiter_lines():
        if not line.startswith("data: "):
            continue
        data = line.removeprefix("data: ")
        if data == "[DONE]":
            return
        event: dict[str, Any] = json.loads(data)
        yield event


async def first_command(
    api: httpx.AsyncClient, model: str, deadline_s: float = RUN_DEADLINE_S
) -> FirstCommand:
    """Create a streamed agent interaction on a new environment; time its first command's result.

    `model` must run `run_code` once and then answer (`FIRST_COMMAND_SCRIPT`). A run that does not end
    within `deadline_s` returns with status `timeout` (its environment id, when already known).
    """
    body = {
        "agent": "default",
        "agent_config": {"type": "antigravity", "model": model},
        "input": "go",
        "stream": True,
    }
    call_s = result_s = None
    status, env_id = "unknown", None
    started = time.perf_counter()
    try:
        async with (
            asyncio.timeout(deadline_s),
            api.stream("POST", "/v1beta/interactions", json=body) as response,
        ):
            response.raise_for_status()
            async for event in _sse(response):
                now = time.perf_counter() - started
                kind = event.get("event_type")
                if kind == "step.start":
                    step_type = event.get("step", {}).get("type")
                    if step_type == "code_execution_call" and call_s is None:
                        call_s = now
                    elif step_type == "code_execution_result" and result_s is None:
                        result_s = now
                elif kind in ("interaction.created", "interaction.completed"):
                    snap = event.get("interaction", {})
                    env_id = snap.get("environment_id") or env_id
                    status = snap.get("status", status)
                elif kind == "interaction.status_update":
                    status = event.get("status", status)
    except TimeoutError:
        status = "timeout"
    except httpx.HTTPError as exc:
        status = f"http_error: {exc!r}"
    return FirstCommand(call_s, result_s, time.perf_counter() - started, status, env_id)


async def pooled_slots(api: httpx.AsyncClient) -> float:
    """Ready warm-pool slots, from the server's own gauge `warren_sandboxes{state="pooled"}` (a slot
    counts once its runner waits for an assignment). Read from the server, not the engine: under
    gVisor the sandbox's sockets are not in the host's `/proc/<pid>/net/unix`."""
    with contextlib.suppress(httpx.HTTPError):
        answer = await api.get("/metrics")
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                if sample.name == "warren_sandboxes" and sample.labels.get("state") == "pooled":
                    return sample.value
    return 0.0


async def delete_environments(api: httpx.AsyncClient, env_ids: list[str], concurrency: int = 8) -> int:
    """Delete environments through the API, a few at a time; returns how many answered 200."""
    todo = iter(env_ids)
    deleted = 0

    async def worker() -> None:
        nonlocal deleted
        for env_id in todo:
            with contextlib.suppress(httpx.HTTPError):
                response = await api.delete(f"/v1beta/environments/{env_id}")
                deleted += response.status_code == 200

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return deleted


_TICKS = os.sysconf("SC_CLK_TCK")
_CPUACCT = Path("/sys/fs/cgroup/cpuacct/docker")


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / _TICKS


def _by_name(names: set[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {name: [] for name in names}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                comm = (entry / "comm").read_text().strip()
                if comm in found:
                    found[comm].append(int(entry.name))
    return found


def cpu_snapshot(server: BenchServer) -> dict[str, float]:
    """CPU seconds used so far: host (busy), the server, dockerd, containerd, this server's sandboxes.

    Sandboxes are read from their cgroup v1 `cpuacct.usage`, so take the snapshot before they are
    deleted. Host-wide figures include whatever else runs on the machine.
    """
    values = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    jiffies = [int(v) for v in values]
    busy = sum(jiffies) - jiffies[3] - jiffies[4]  # minus idle and iowait
    daemons = _by_name({"dockerd", "containerd"})
    snap = {
        "host_busy": busy / _TICKS,
        "server": sum(_proc_cpu_s(pid) for pid in [server.pid, *_children(server.pid)]),
        **{name: sum(_proc_cpu_s(pid) for pid in pids) for name, pids in daemons.items()},
    }
    client = docker.from_env(version="auto")
    try:
        selector = [f"{k}={v}" for k, v in server.labels.items()]
        sandboxes = 0
        for container in client.containers.list(filters={"label": selector}):
            with contextlib.suppress(OSError, ValueError):
                sandboxes += int((_CPUACCT / str(container.id) / "cpuacct.usage").read_text())
    finally:
        client.close()
    snap["sandboxes"] = sandboxes / 1e9
    return snap


def cpu_split(before: dict[str, float], after: dict[str, float], wall_s: float) -> dict[str, Any]:
    """CPU seconds each part used between two snapshots, and the rest of the host's busy time."""
    used = {k: round(after[k] - before.get(k, 0.0), 2) for k in after}
    parts = sum(v for k, v in used.items() if k != "host_busy")
    used["other"] = round(used["host_busy"] - parts, 2)  # runc, shims, kernel, other work on the machine
    return {"wall_s": round(wall_s, 2), "cores": os.cpu_count(), "cpu_s": used}
