"""A real `warren serve` killed while agents work: SIGTERM then restart, and `kill -9` at random points.

Each agent turn appends its own marker to `/workspace/ledger.txt` (a side effect), so the ledger
shows whether a tool call ever ran twice, and the stored steps show whether one was lost
(`tests/support/agent_ledger.py`).
"""

from __future__ import annotations

import json
import random
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from orchestrator.gateway.scripted_text import count_tokens
from orchestrator.sandbox.backend import LABEL_PREFIX
from tests.support.agent_ledger import agent_env, check_ledger, create, remove_tenant, script, wait_all
from tests.support.restartable import Server
from tests.support.serve import create_key


@pytest.fixture
def server(sandbox_image: str, docker_client: docker.DockerClient) -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="wk-", dir="/tmp") as folder:
        data = Path(folder)
        env = {
            **agent_env(data, sandbox_image),
            "WARREN_RUNNER_TIMEOUT_S": "20",
            "WARREN_ORPHAN_GRACE_S": "2",
        }
        server = Server(data, env, create_key(env, "chaos"))
        try:
            yield server
        finally:
            if server.proc is not None and server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait()
            remove_tenant(docker_client, "chaos")


@pytest.mark.timeout(300)
def test_sigterm_mid_run_then_restart_completes_with_nothing_lost(server: Server) -> None:
    model = script(server.data_dir, sleep_s=1.5)
    server.start()
    with server.client() as client:
        interaction_id = create(client, model)
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
        done = wait_all(client, [interaction_id], timeout_s=90)[interaction_id]
        assert done["status"] == "completed", (done, server.log_tail())
        check_ledger(client, done)
    assert "1 interactions resumed, 0 failed" in server.log(), "it was resumed, not re-run"
    turns = json.loads((server.data_dir / "ledger.json").read_text())
    outputs = [
        call["name"] + json.dumps(call["arguments"])
        for t in turns["turns"]
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
    model = script(server.data_dir, sleep_s=0.2)
    ids: list[str] = []
    for _ in range(rounds):
        server.start()
        with server.client() as client:
            created = create(client, model)
            if created is not None:
                ids.append(created)
        time.sleep(rng.uniform(0.1, 2.5))
        server.signal(signal.SIGKILL)
    server.start()
    with server.client() as client:
        finished = wait_all(client, ids, timeout_s=240)
        not_completed = {i: (finished[i]["status"], finished[i].get("errors")) for i in ids}
        not_completed = {i: v for i, v in not_completed.items() if v[0] != "completed"}
        assert not not_completed, f"every interaction resumes and completes: {not_completed}"
        for interaction_id in ids:
            check_ledger(client, finished[interaction_id])
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
