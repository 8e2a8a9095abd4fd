"""A sandbox's PID 1 (`hardening.SANDBOX_INIT`), under each runtime: it is the image's dumb-init,
it reaps processes orphaned inside the sandbox, and it hands a stop's SIGTERM to the command alone,
whose exit code becomes the container's."""

from __future__ import annotations

import asyncio
import time

import pytest
from docker import DockerClient

from orchestrator.sandbox import DockerBackend, ExecRequest
from orchestrator.sandbox.hardening import SANDBOX_INIT
from tests.conftest import SandboxFactory

pytestmark = pytest.mark.integration


async def _sh(backend: DockerBackend, sandbox_id: str, script: str) -> str:
    result = await backend.exec(ExecRequest(sandbox_id=sandbox_id, cmd=("bash", "-c", script), timeout_s=30))
    assert result.exit_code == 0, result.stderr.decode()
    return result.stdout.decode()


async def test_pid_1_is_the_image_init_and_reaps_orphans(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory()
    argv = await _sh(backend, info.id, "tr '\\0' ' ' < /proc/1/cmdline")
    assert argv.split() == [*SANDBOX_INIT, "sleep", "infinity"], sandbox_runtime
    # `sh` exits at once: its background `sleep` is orphaned to PID 1, which must reap it when it ends.
    await _sh(backend, info.id, "sh -c 'sleep 0.3 & echo $! > /tmp/orphan'")
    pid = (await _sh(backend, info.id, "cat /tmp/orphan")).strip()
    for _ in range(50):
        left = await _sh(backend, info.id, f"cat /proc/{pid}/stat 2>/dev/null || true")
        if not left:
            break
        await asyncio.sleep(0.2)
    assert not left, f"{sandbox_runtime}: the orphan was not reaped: {left}"


async def test_a_stop_reaches_the_command_and_its_exit_code_is_the_containers(
    backend: DockerBackend, sandbox_factory: SandboxFactory, docker_client: DockerClient, sandbox_runtime: str
) -> None:
    info = await sandbox_factory(command=("bash", "-c", "trap 'exit 7' TERM; sleep infinity & wait"))
    await _sh(backend, info.id, "true")  # started
    began = time.monotonic()
    await backend.stop(info.id, timeout_s=20)
    took = time.monotonic() - began
    state = docker_client.api.inspect_container(info.id)["State"]
    assert state["ExitCode"] == 7, f"{sandbox_runtime}: {state}"  # SIGKILL at the timeout would be 137
    assert took < 15, f"{sandbox_runtime}: stop took {took:.1f}s"
