"""A real `warren serve` killed while agents work: SIGTERM then restart, and `kill -9` at random points.

Each agent turn appends its own marker to `/workspace/ledger.txt` (a side effect), so the ledger
shows whether a tool call ever ran twice, and the stored steps show whether one was lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from orchestrator.gateway.scripted_text import count_tokens
from orchestrator.sandbox.backend import LABEL_PREFIX
from tests.support.serve import WARREN, create_key, free_port, wait_healthy

V = "/v1beta"
TOOL_TURNS = 5
TERMINAL = {"completed", "failed", "cancelled", "requires_action", "budget_exceeded", "incomplete"}


def _script(folder: Path, sleep_s: float) -> str:
    turns: list[dict[str, Any]] = [
        {
            "tool_calls": [
                {
                    "name": "run_code",
                    "arguments": {"language": "bash", "code": f"echo t{k} >> ledger.txt; sleep {sleep_s}"},
                }
            ]
        }
        for k in range(TOOL_TURNS)
    ]
    path = folder / "ledger.json"
    path.write_text(json.dumps({"turns": [*turns, {"text": "all turns done"}]}))
    return f"scripted:{path.stem}"  # the server reads scripts from WARREN_SCRIPTS_DIR


class Server:
    """`warren serve` as a process that a test can stop, kill and start again on the same data."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir, self.env = data_dir, env
        self.key = create_key(env, "chaos")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with (self.data_dir / f"server-{self.starts}.log").open("w") as out:
            self.proc = subprocess.Popen(
                [WARREN, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.url, self.proc, self.data_dir / f"server-{self.starts}.log", 60)

    def signal(self, number: int, wait_s: float = 30) -> float:
        """Send a signal, wait for the process to end; returns how long it took (seconds)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(number)
        self.proc.wait(timeout=wait_s)
        return time.monotonic() - started

    def log(self) -> str:
        return (self.data_dir / f"server-{self.starts}.log").read_text()

    def log_tail(self) -> str:
        return self.log()[-4000:]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + V, headers={"x-goog-api-key": self.key}, timeout=30)


@pytest.fixture
def server(sandbox_image: str, docker_client: docker.DockerClient) -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="wk-", dir="/tmp") as folder:
        data = Path(folder)
        env = {
            **os.environ,
            "WARREN_DATA_DIR": str(data),
            "WARREN_SCRIPTS_DIR": str(data),
            "WARREN_SANDBOX_IMAGE": sandbox_image,
            "WARREN_POOL_SIZE": "0",
            "WARREN_TENANT_MAX_SANDBOXES": "100",
            "WARREN_SHUTDOWN_GRACE_S": "1",
            "WARREN_RUNNER_TIMEOUT_S": "20",
            "WARREN_ORPHAN_GRACE_S": "2",
            "WARREN_LIFECYCLE_INTERVAL_S": "1",
        }
        server = Server(data, env)
        try:
            yield server
        finally:
            if server.proc is not None and server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait()
            _remove_tenant(docker_client, "chaos")


def _remove_tenant(client: docker.DockerClient, tenant: str) -> None:
    filters = {"label": f"{LABEL_PREFIX}tenant={tenant}"}
    for container in client.containers.list(all=True, filters=filters):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True, v=True)
    for volume in client.volumes.list(filters=filters):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            volume.remove(force=True)


def _create(client: httpx.Client, model: str) -> str | None:
    """Start a background agent interaction on a new environment; None if the server died meanwhile."""
    body = {
        "agent": "default",
        "input": "fill the ledger",
        "background": True,
        "agent_config": {"type": "antigravity", "model": model},
    }
    try:
        answer = client.post("/interactions", json=body)
    except httpx.TransportError:
        return None
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _wait_all(client: httpx.Client, ids: list[str], timeout_s: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    done: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        for interaction_id in ids:
            if interaction_id not in done:
                got = client.get(f"/interactions/{interaction_id}").json()
                if got["status"] in TERMINAL:
                    done[interaction_id] = got
        if len(done) == len(ids):
            return done
        time.sleep(0.3)
    pending = {i: client.get(f"/interactions/{i}").json()["status"] for i in ids if i not in done}
    raise AssertionError(f"interactions still running after {timeout_s} s: {pending}")


def _events(client: httpx.Client, interaction_id: str) -> list[dict[str, Any]]:
    with client.stream("GET", f"/interactions/{interaction_id}", params={"stream": "true"}) as stream:
        data = [line[5:].strip() for line in stream.iter_lines() if line.startswith("data:")]
    return [json.loads(item) for item in data if item != "[DONE]"]


def _check_ledger(client: httpx.Client, interaction: dict[str, Any]) -> None:
    """The interaction completed with nothing lost or stored twice and no tool call run twice.

    A call the server was killed during gets an "interrupted, not run again" result: its marker may
    or may not be in the ledger (it ran or not before the kill), but never twice; every other call's
    marker is there exactly once, in order.
    """
    steps = interaction["steps"]
    assert interaction["status"] == "completed", (interaction["status"], interaction.get("errors"))
    calls = {s["id"]: _marker(s) for s in steps if s["type"] == "code_execution_call"}
    results = [s for s in steps if s["type"] == "code_execution_result"]
    result_ids = [s["call_id"] for s in results]
    assert len(calls) == TOOL_TURNS == len(result_ids), f"a call lost or stored twice: {steps}"
    assert len(result_ids) == len(set(result_ids)) and set(result_ids) == set(calls), result_ids
    interrupted = {s["call_id"] for s in results if "interrupted" in json.dumps(s)}
    ledger = client.get(
        f"/environments/{interaction['environment_id']}/files/ledger.txt", params={"alt": "media"}
    )
    assert ledger.status_code == 200 or len(interrupted) == TOOL_TURNS, (ledger.status_code, ledger.text)
    lines = ledger.text.split() if ledger.status_code == 200 else []
    assert len(lines) == len(set(lines)), f"a tool call with a side effect ran twice: {lines}"
    must = [marker for call_id, marker in calls.items() if call_id not in interrupted]
    assert [line for line in lines if line in must] == must, (lines, must, interrupted)
    assert set(lines) <= set(calls.values()), f"a side effect without its stored call: {lines}"
    assert steps[-1]["content"][0]["text"] == "all turns done"
    ids = [int(event["event_id"]) for event in _events(client, interaction["id"])]
    assert ids == list(range(len(ids))), "events are stored once each, without gaps"


def _marker(step: dict[str, Any]) -> str:
    """The ledger line a `code_execution_call` step writes (`echo tK >> ledger.txt`)."""
    found = re.search(r"echo (t\d+) >>", json.dumps(step))
    assert found, step
    return found.group(1)


@pytest.mark.timeout(300)
def test_sigterm_mid_run_then_restart_completes_with_nothing_lost(server: Server) -> None:
    model = _script(server.data_dir, sleep_s=1.5)
    server.start()
    with server.client() as client:
        interaction_id = _create(client, model)
        assert interaction_id is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until a tool is running in the sandbox
            kinds = [s["type"] for s in client.get(f"/interactions/{interaction_id}").json()["steps"]]
            if "code_execution_call" in kinds:
                break
            time.sleep(0.1)
    took = server.signal(signal.SIGTERM)
    assert took < 15, f"shutdown took {took:.1f} s: the grace period is 1 s"
    assert "Traceback" not in server.log_tail(), server.log_tail()
    server.start()
    with server.client() as client:
        done = _wait_all(client, [interaction_id], timeout_s=90)[interaction_id]
        assert done["status"] == "completed", (done, server.log_tail())
        _check_ledger(client, done)
    assert "1 interactions resumed, 0 failed" in server.log(), "it was resumed, not re-run"
    script = json.loads((server.data_dir / "ledger.json").read_text())
    outputs = [
        call["name"] + json.dumps(call["arguments"])
        for t in script["turns"]
        for call in t.get("tool_calls", [])
    ]
    expected = sum(map(count_tokens, [*outputs, "all turns done"]))
    assert done["usage"]["total_output_tokens"] == expected, "turns before the restart are counted too"


@pytest.mark.timeout(600)
def test_kill_9_at_random_points_loses_and_repeats_nothing(
    server: Server, docker_client: docker.DockerClient
) -> None:
    """20 rounds: start, add an interaction, kill -9 after a random delay; then check them all."""
    rounds, rng = 20, random.Random(20261125)
    model = _script(server.data_dir, sleep_s=0.2)
    ids: list[str] = []
    for _ in range(rounds):
        server.start()
        with server.client() as client:
            created = _create(client, model)
            if created is not None:
                ids.append(created)
        time.sleep(rng.uniform(0.1, 2.5))
        server.signal(signal.SIGKILL)
    server.start()
    with server.client() as client:
        finished = _wait_all(client, ids, timeout_s=240)
        not_completed = {i: (finished[i]["status"], finished[i].get("errors")) for i in ids}
        not_completed = {i: v for i, v in not_completed.items() if v[0] != "completed"}
        assert not not_completed, f"every interaction resumes and completes: {not_completed}"
        for interaction_id in ids:
            _check_ledger(client, finished[interaction_id])
        for interaction in finished.values():
            assert client.delete(f"/environments/{interaction['environment_id']}").status_code == 200
    filters = {"label": f"{LABEL_PREFIX}tenant=chaos"}
    deadline = time.monotonic() + 30  # strays of a killed create are reaped after the grace period
    while time.monotonic() < deadline:
        left = docker_client.containers.list(all=True, filters=filters) + docker_client.volumes.list(
            filters=filters
        )
        if not left:
            break
        time.sleep(0.5)
    assert not left, f"orphans after the grace period: {left}"
    assert not docker_client.networks.list(filters=filters)
