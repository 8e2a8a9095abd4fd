"""Sandbox end reasons and usage (issue 19, item 4), through the public API with real sandboxes.

A scripted agent runs one command, under each runtime (runc and gVisor); when the sandbox shows why
it died the interaction ends `failed` with a distinct code: a memory bomb `out_of_memory`, a fork bomb
`process_limit`, a command past the wall-clock budget `wall_clock_limit`, a full workspace
`disk_full`. A busy loop's CPU seconds appear in the interaction's and the environment's `warren_usage`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.lifecycle.conftest import Server, Start, V

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

MEMORY_BOMB = "a = []\nwhile True:\n    a.append(b'x' * (64 << 20))\n"
# Forks `sleep`s until the process limit refuses one; they outlive the command a little, as a real
# bomb's would (under gVisor the sign of the limit is the sandbox's tasks filling it when read; its
# 512 forks take about 11 s there).
FORK_BOMB = (
    "import os\nwhile True:\n    if os.fork() == 0:\n        os.execv('/bin/sleep', ['sleep', '40'])\n"
)
# Burns 2 s of CPU: on an idle core that is 2 s of wall time; on a shared one, CPU stays the measure.
BUSY_LOOP = "import time\nwhile time.process_time() < 2:\n    pass\nprint(time.process_time())\n"


def _python(code: str) -> str:
    """A bash command that runs `code` in a fresh python3 (its own process, not the kernel)."""
    return f"python3 - <<'EOF'\n{code}EOF"


async def run(
    server: Server, tmp: Path, command: str, environment: str | None = None, **config: Any
) -> dict[str, Any]:
    """One agent interaction whose model runs `command` with bash, then answers; returns it ended."""
    script = tmp / f"s{abs(hash(command))}.json"
    turns = [
        {"tool_calls": [{"name": "run_code", "arguments": {"language": "bash", "code": command}}]},
        {"text": "done"},
    ]
    script.write_text(json.dumps({"turns": turns}))
    answer = await server.client.post(
        f"{V}/interactions",
        json={
            "agent": "default",
            "agent_config": {"type": "antigravity", "model": f"scripted:{script.stem}", **config},
            "input": "go",
            **({"environment": environment} if environment else {}),
        },
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def seen(body: dict[str, Any]) -> str:
    """What the interaction's steps and usage were, for a failure's message (how the command ended)."""
    return json.dumps({"steps": body.get("steps"), "usage": body.get("warren_usage")})[:4000]


def code_of(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["code"] if errors else None


async def test_a_memory_bomb_ends_out_of_memory(start: Start, tmp_path: Path, sandbox_runtime: str) -> None:
    async with start(runtime=sandbox_runtime, scripts_dir=tmp_path) as server:
        body = await run(server, tmp_path, _python(MEMORY_BOMB))
        # under gVisor the limit covers the whole sandbox: it died, and the next interaction starts it
        again = await run(server, tmp_path, "echo alive", environment=body["environment_id"])
    assert (body["status"], code_of(body)) == ("failed", "out_of_memory"), (body.get("errors"), seen(body))
    assert body["warren_usage"]["peak_memory_bytes"] > 1 << 30  # it reached the 2 GiB limit's region
    assert again["status"] == "completed", again.get("errors")


async def test_a_fork_bomb_ends_at_the_process_limit(
    start: Start, tmp_path: Path, sandbox_runtime: str
) -> None:
    async with start(runtime=sandbox_runtime, scripts_dir=tmp_path) as server:
        body = await run(server, tmp_path, _python(FORK_BOMB))
    assert (body["status"], code_of(body)) == ("failed", "process_limit"), body.get("errors")


async def test_a_command_past_the_wall_clock_budget_ends_at_it(
    start: Start, tmp_path: Path, sandbox_runtime: str
) -> None:
    async with start(runtime=sandbox_runtime, scripts_dir=tmp_path) as server:
        body = await run(server, tmp_path, "sleep 300", max_wall_seconds=3)
    assert (body["status"], code_of(body)) == ("failed", "wall_clock_limit"), body.get("errors")


async def test_a_full_workspace_ends_disk_full(start: Start, tmp_path: Path, sandbox_runtime: str) -> None:
    async with start(runtime=sandbox_runtime, scripts_dir=tmp_path, workspace_bytes=16 << 20) as server:
        body = await run(server, tmp_path, "dd if=/dev/zero of=big bs=1M count=64")
    assert (body["status"], code_of(body)) == ("failed", "disk_full"), body.get("errors")


async def test_a_busy_loop_shows_its_cpu_in_both_usages(
    start: Start, tmp_path: Path, sandbox_runtime: str
) -> None:
    async with start(runtime=sandbox_runtime, scripts_dir=tmp_path) as server:
        body = await run(server, tmp_path, _python(BUSY_LOOP))
        environment = (await server.client.get(f"{V}/environments/{body['environment_id']}")).json()
        second = await run(server, tmp_path, "echo hi > note.txt", environment=body["environment_id"])
        after = (await server.client.get(f"{V}/environments/{body['environment_id']}")).json()
    assert body["status"] == "completed", body.get("errors")
    usage = body["warren_usage"]
    # the loop's CPU, within 20 %; under gVisor the host counts its kernel's work for the loop too
    assert 2.0 * 0.8 <= usage["cpu_seconds"] <= 2.0 * (1.2 if sandbox_runtime == "runc" else 1.6), usage
    assert usage["peak_memory_bytes"] > 0 and usage["workspace_bytes"] > 0
    assert environment["warren_usage"] == usage  # its first interaction: the same figures
    assert second["status"] == "completed"
    summed = usage["cpu_seconds"] + second["warren_usage"]["cpu_seconds"]
    assert after["warren_usage"]["cpu_seconds"] == pytest.approx(summed, abs=0.002)
