"""An idle gVisor sandbox is paused with its memory and resumed where it was (issue 20, item 6).

Through the public API with real sandboxes under runsc and the engine's checkpoints: a variable set
by `run_code` python before the idle pause is there after it, the runner carries on without a new
claim (a claim asked from inside the resumed sandbox is refused), and the checkpoint is gone once
used. A sandbox whose code holds a connection to the channel socket cannot be saved: it is stopped
instead, as before (files kept, the kernel's variables lost), and its next use still works.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.lifecycle.conftest import Server, Start, V, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

# Asks the channel for the runner's credential from the code the model runs; prints the status.
CLAIM = """
import socket
s = socket.socket(socket.AF_UNIX)
s.connect('/run/warren/orchestrator.sock')
s.sendall(b'POST /runner/v1/claim HTTP/1.1\\r\\nhost: x\\r\\ncontent-length: 0\\r\\n\\r\\n')
print('claim', s.recv(64).split()[1].decode())
s.close()  # a connection left open would keep the next pause from saving the sandbox
"""
# Holds a connection to the channel socket open from a process of its own, as hostile code might.
HOLD = (
    'setsid nohup python3 -c "import socket, time; s = socket.socket(socket.AF_UNIX); '
    "s.connect('/run/warren/orchestrator.sock'); time.sleep(600)\" >/dev/null 2>&1 &\nsleep 0.5; echo held"
)


def idle_server(start: Start, tmp: Path, docker_client: docker.DockerClient) -> Any:
    """A server under gVisor that stops (pauses) sandboxes after a second idle."""
    assert docker_client.info().get("ExperimentalBuild"), (
        "the engine runs without experimental features: restart dockerd after `make engine`"
    )
    return start(runtime="runsc", idle_stop_s=1.0, lifecycle_interval_s=0.3, scripts_dir=tmp)


async def run(server: Server, tmp: Path, calls: list[tuple[str, str]], environment: str | None = None) -> Any:
    """One agent interaction whose model runs `calls` (language, code) with `run_code`, then answers."""
    script = tmp / f"s{abs(hash(tuple(calls)))}.json"
    turns: list[dict[str, Any]] = [
        {"tool_calls": [{"name": "run_code", "arguments": {"language": lang, "code": code}}]}
        for lang, code in calls
    ]
    script.write_text(json.dumps({"turns": [*turns, {"text": "done"}]}))
    answer = await server.client.post(
        f"{V}/interactions",
        json={
            "agent": "default",
            "agent_config": {"type": "antigravity", "model": f"scripted:{script.stem}"},
            "input": "go",
            **({"environment": environment} if environment else {}),
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "completed", body.get("errors")
    return body


def outputs(body: dict[str, Any]) -> list[str]:
    """The text of every code execution result, in order."""
    return [
        str(step.get("result", ""))
        for step in body.get("steps", [])
        if step.get("type") == "code_execution_result"
    ]


def checkpoints(sandbox_id: str) -> list[str]:
    listed = subprocess.run(
        ["docker", "checkpoint", "ls", sandbox_id], capture_output=True, text=True, check=True
    ).stdout.split("\n")[1:]
    return [line.strip() for line in listed if line.strip()]


async def idle_until_stopped(server: Server, docker_client: docker.DockerClient, env_id: str) -> str:
    record = await server.services.store.environments.get(server.tenant, env_id)
    assert record is not None and record.sandbox_id
    sandbox_id: str = record.sandbox_id

    async def stopped() -> bool:
        row = await server.services.store.environments.get(server.tenant, env_id)
        exited = docker_client.containers.get(sandbox_id).status == "exited"
        return bool(exited and row is not None and row.status == "stopped")

    await wait_for(stopped, "the idle sandbox to stop", timeout_s=30)
    return sandbox_id


async def test_an_idle_pause_keeps_the_kernels_variables(
    start: Start, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    async with idle_server(start, tmp_path, docker_client) as server:
        first = await run(server, tmp_path, [("python", "x = 41\nprint('set', x)")])
        env_id = first["environment_id"]
        sandbox_id = await idle_until_stopped(server, docker_client, env_id)
        assert checkpoints(sandbox_id) == ["warren-idle"]

        second = await run(server, tmp_path, [("python", "x += 1\nprint(x)"), ("python", CLAIM)], env_id)
        assert docker_client.containers.get(sandbox_id).status == "running"
        assert checkpoints(sandbox_id) == []  # used once, then deleted: no later start restores it

        await idle_until_stopped(server, docker_client, env_id)  # a restored sandbox paused again
        third = await run(server, tmp_path, [("python", "print(x + 1)")], env_id)

    assert "set 41" in outputs(first)[0]
    kept, claim = outputs(second)
    assert kept.strip() == "42", kept  # the kernel's variable lived through the pause
    assert "claim 403" in claim, claim  # no claim opened on resume: the runner kept its credential
    assert outputs(third)[0].strip() == "43"  # and through a second one (runsc's leftover cleared)


async def test_a_sandbox_holding_the_channel_open_is_stopped_instead(
    start: Start, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    async with idle_server(start, tmp_path, docker_client) as server:
        first = await run(
            server, tmp_path, [("python", "x = 41"), ("bash", HOLD), ("bash", "echo kept > /workspace/f")]
        )
        env_id = first["environment_id"]
        sandbox_id = await idle_until_stopped(server, docker_client, env_id)
        assert checkpoints(sandbox_id) == []

        second = await run(
            server, tmp_path, [("python", "print('x' in globals())"), ("bash", "cat /workspace/f")], env_id
        )

    assert "held" in outputs(first)[1]
    fresh, kept = outputs(second)
    assert fresh.strip() == "False", fresh  # stopped, not paused: a new kernel
    assert kept.strip() == "kept", kept
