"""The backend's own short commands in a sandbox (the exec sweep, the OOM and usage readings) end on
time, and an exec whose sandbox dies under it returns: a sandbox can neither hold its caller nor flood it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from docker import DockerClient

from orchestrator.sandbox import DockerBackend, ExecRequest, SandboxError
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_exec import oom_kills
from orchestrator.sandbox.docker_output import output
from tests.conftest import SandboxFactory

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine() -> AsyncIterator[DockerEngine]:
    engine = DockerEngine(None, threads=4)
    yield engine
    await engine.close()


async def test_the_output_is_whole_and_in_order(
    engine: DockerEngine, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    """Stdout only: Docker 20.10 reads stderr apart, may place it anywhere, and now and then drops an
    exec's stderr as the exec ends (seen in CI), so no test can hold the engine to it."""
    info = await sandbox_factory()
    script = "echo first; head -c 300000 /dev/zero | tr '\\0' x; echo; echo last"
    out = await output(engine, info.id, ["sh", "-c", script])
    assert out.decode().splitlines() == ["first", "x" * 300_000, "last"], "frames split across reads joined"


async def test_a_command_that_does_not_end_is_given_up_on_time(
    engine: DockerEngine, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory()
    started = time.monotonic()
    with pytest.raises(SandboxError, match=r"sleep in the sandbox did not end within 1s"):
        await output(engine, info.id, ["sleep", "30"], timeout_s=1)
    assert time.monotonic() - started < 5
    assert await output(engine, info.id, ["echo", "ok"]) == b"ok\n", "the engine's threads are free again"


async def test_a_flood_of_output_is_refused(
    engine: DockerEngine, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory()
    with pytest.raises(SandboxError, match="printed more than 1048576 bytes"):
        await output(engine, info.id, ["sh", "-c", "head -c 5000000 /dev/zero"])


async def test_the_oom_count_reads_without_a_cgroup_file_too(
    engine: DockerEngine, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    """runc shows the sandbox's memory cgroup (no kill yet: 0); gVisor shows none (also 0, not an error)."""
    info = await sandbox_factory()
    assert await oom_kills(engine, info.id) == 0


async def test_an_exec_whose_sandbox_is_killed_under_it_returns(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str, docker_client: DockerClient
) -> None:
    """The engine never closes the stream of an exec whose gVisor sandbox died; the exec notices anyway."""
    info = await sandbox_factory()
    running = asyncio.create_task(
        backend.exec(ExecRequest(sandbox_id=info.id, cmd=("sleep", "60"), timeout_s=60))
    )
    await asyncio.sleep(1)
    started = time.monotonic()
    await asyncio.to_thread(docker_client.api.kill, info.id)
    result = await asyncio.wait_for(running, timeout=15)
    assert result.exit_code == 137 and not result.oom_killed and not result.timed_out
    assert time.monotonic() - started < 10


async def test_a_command_that_prints_without_end_is_stopped_at_its_output_cap(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    """A sandbox cannot fill the orchestrator's memory through a command's output: the first bytes
    are kept, the command is stopped, and the result says so."""
    info = await sandbox_factory()
    started = time.monotonic()
    result = await backend.exec(
        ExecRequest(
            sandbox_id=info.id, cmd=("sh", "-c", "echo begin; yes"), timeout_s=60, max_output_bytes=1 << 20
        )
    )
    assert result.output_cut and result.exit_code is None and not result.timed_out
    assert len(result.stdout) == 1 << 20 and result.stdout.startswith(b"begin\ny\ny\n")
    assert time.monotonic() - started < 20, "stopped at the cap, not at its deadline"
    _, out = await run_in(backend, info.id, "pgrep -c yes || true")
    assert out.strip() == "0", "its processes are gone"
    under = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("echo", "small"), max_output_bytes=6))
    assert under.stdout == b"small\n" and not under.output_cut and under.exit_code == 0


async def run_in(backend: DockerBackend, sandbox_id: str, script: str) -> tuple[int | None, str]:
    result = await backend.exec(ExecRequest(sandbox_id=sandbox_id, cmd=("bash", "-c", script)))
    return result.exit_code, result.stdout.decode()
