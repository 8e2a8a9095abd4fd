"""Agent runs that fill a ledger in their workspace, and the checks that nothing ran twice or was lost.

Each agent turn appends its own marker to `/workspace/ledger.txt` (a side effect), so the ledger
shows whether a tool call ever ran twice, and the stored steps show whether one was lost. Used by
the restart chaos test and the replica takeover test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import docker
import httpx

from orchestrator.sandbox.backend import LABEL_PREFIX

__all__ = [
    "TERMINAL",
    "TOOL_TURNS",
    "agent_env",
    "check_ledger",
    "create",
    "events",
    "remove_tenant",
    "script",
    "wait_all",
]

TOOL_TURNS = 5
TERMINAL = {"completed", "failed", "cancelled", "requires_action", "budget_exceeded", "incomplete"}


def agent_env(data: Path, sandbox_image: str) -> dict[str, str]:
    """The environment of a `warren serve` that runs scripted agents on `data` (scripts there too)."""
    return {
        **os.environ,
        "WARREN_DATA_DIR": str(data),
        "WARREN_SCRIPTS_DIR": str(data),
        "WARREN_SANDBOX_IMAGE": sandbox_image,
        "WARREN_POOL_SIZE": "0",
        "WARREN_TENANT_MAX_SANDBOXES": "100",
        "WARREN_SHUTDOWN_GRACE_S": "1",
        "WARREN_LIFECYCLE_INTERVAL_S": "1",
    }


def script(folder: Path, sleep_s: float) -> str:
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


def remove_tenant(client: docker.DockerClient, tenant: str) -> None:
    filters = {"label": f"{LABEL_PREFIX}tenant={tenant}"}
    for container in client.containers.list(all=True, filters=filters):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True, v=True)
    for volume in client.volumes.list(filters=filters):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            volume.remove(force=True)


def create(client: httpx.Client, model: str) -> str | None:
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


def wait_all(client: httpx.Client, ids: list[str], timeout_s: float) -> dict[str, dict[str, Any]]:
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


def events(client: httpx.Client, interaction_id: str) -> list[dict[str, Any]]:
    with client.stream("GET", f"/interactions/{interaction_id}", params={"stream": "true"}) as stream:
        data = [line[5:].strip() for line in stream.iter_lines() if line.startswith("data:")]
    return [json.loads(item) for item in data if item != "[DONE]"]


def check_ledger(client: httpx.Client, interaction: dict[str, Any]) -> None:
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
    ids = [int(event["event_id"]) for event in events(client, interaction["id"])]
    assert ids == list(range(len(ids))), "events are stored once each, without gaps"


def _marker(step: dict[str, Any]) -> str:
    """The ledger line a `code_execution_call` step writes (`echo tK >> ledger.txt`)."""
    found = re.search(r"echo (t\d+) >>", json.dumps(step))
    assert found, step
    return found.group(1)
