"""Resource abuse from inside a sandbox: CPU burn, disk fill, log flood, a second sandbox (checklist rows).

Each test runs a real sandbox on the local engine and proves the bound by its effect: the kernel's
answer inside the sandbox (ENOSPC, SIGKILL at the deadline), and the host's own measurements
(free disk space, the log file's size, another sandbox's latency).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import docker
import pytest

from orchestrator.sandbox import DockerBackend, ExecRequest, Limits, SandboxSpec
from orchestrator.sandbox.backend import LABEL_PREFIX
from tests.conftest import TEST_LABEL, TEST_SESSION, SandboxFactory
from tests.support.loopback import LOOPBACK_ONLY, assert_loopback_only

pytestmark = [pytest.mark.security, pytest.mark.integration]

_WORKSPACE_BYTES = 64 << 20


async def _run(
    backend: DockerBackend, sandbox_id: str, script: str, timeout_s: float = 60
) -> tuple[int | None, str]:
    result = await backend.exec(
        ExecRequest(sandbox_id=sandbox_id, cmd=("bash", "-c", script), timeout_s=timeout_s)
    )
    return result.exit_code, (result.stdout + result.stderr).decode(errors="replace")


@pytest.fixture
async def small_disk(sandbox_image: str, tmp_path: Path) -> AsyncIterator[tuple[DockerBackend, list[str]]]:
    """A backend whose workspaces are 64 MiB filesystems; its sandboxes are destroyed afterwards."""
    made: list[str] = []
    async with DockerBackend(
        image=sandbox_image,
        workspace_bytes=_WORKSPACE_BYTES,
        workspace_dir=Path("/var/lib/warren/test-ws"),
        extra_labels={TEST_LABEL: TEST_SESSION},
    ) as backend:
        yield backend, made
        await asyncio.gather(*(backend.destroy(sandbox_id) for sandbox_id in made))


async def _small_sandbox(backend: DockerBackend, made: list[str], **fields: object) -> str:
    spec = SandboxSpec(
        environment_id=f"test-{uuid.uuid4().hex[:8]}",
        tenant="test-tenant",
        labels={TEST_LABEL: TEST_SESSION},
        **fields,  # type: ignore[arg-type]
    )
    info = await backend.create(spec)
    made.append(info.id)
    await backend.start(info.id)
    return info.id


def _loops_of(image: str) -> list[str]:
    return [
        str(path)
        for path in Path("/sys/block").glob("loop*/loop/backing_file")
        if path.read_text().strip().removesuffix(" (deleted)") == image
    ]


@pytest.mark.alone
async def test_cpu_burn_is_capped_and_killed_at_the_wall_clock_deadline(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    burner = await sandbox_factory(limits=Limits(cpus=0.5))
    neighbour = await sandbox_factory()
    baseline = []
    for _ in range(5):
        started = time.monotonic()
        await _run(backend, neighbour.id, "true")
        baseline.append(time.monotonic() - started)
    before = (await backend.stats(burner.id)).cpu_total_ns
    started = time.monotonic()
    burn = asyncio.create_task(
        backend.exec(
            ExecRequest(
                sandbox_id=burner.id,
                cmd=("bash", "-c", "for i in 1 2 3 4; do (while :; do :; done) & done; wait"),
                timeout_s=4,
            )
        )
    )
    await asyncio.sleep(1)
    during = []
    for _ in range(5):  # another job's latency while four busy loops burn
        t0 = time.monotonic()
        await _run(backend, neighbour.id, "true")
        during.append(time.monotonic() - t0)
    result = await burn
    elapsed = time.monotonic() - started
    used_s = ((await backend.stats(burner.id)).cpu_total_ns - before) / 1e9
    assert result.timed_out and result.exit_code is None, "the burn was killed at its deadline"
    assert elapsed < 4 + 6, f"killed {elapsed:.1f} s after it began (deadline 4 s)"
    assert used_s < 0.5 * elapsed * 1.3 + 0.3, f"{used_s:.2f} CPU-s in {elapsed:.1f} s: the 0.5-core cap held"
    _, left = await _run(backend, burner.id, "pgrep -fc 'do [:]; done' || true")
    assert int(left.strip() or 0) == 0, "no busy loop survived the deadline"
    normal, loaded = statistics.median(baseline), statistics.median(during)
    assert loaded < max(5 * normal, 0.5), f"a neighbour's exec slowed from {normal:.3f} s to {loaded:.3f} s"


async def test_disk_fill_is_bounded_workspace_tmp_and_home(
    small_disk: tuple[DockerBackend, list[str]],
) -> None:
    backend, made = small_disk
    sandbox_id = await _small_sandbox(backend, made, limits=Limits(tmp_mb=32, home_mb=16))
    host_free = shutil.disk_usage("/var/lib/docker").free
    code, out = await _run(backend, sandbox_id, "dd if=/dev/zero of=/workspace/fill bs=1M count=1000 2>&1")
    assert code != 0 and "No space left on device" in out
    _, size = await _run(backend, sandbox_id, "stat -c %s /workspace/fill")
    assert int(size) <= _WORKSPACE_BYTES, "the write stopped at the workspace's size"
    lost = host_free - shutil.disk_usage("/var/lib/docker").free
    assert lost < _WORKSPACE_BYTES + (16 << 20), f"the host lost {lost >> 20} MiB of free space"
    for target, cap_mb in (("/tmp", 32), ("$HOME", 16)):
        code, out = await _run(backend, sandbox_id, f"dd if=/dev/zero of={target}/fill bs=1M count=1000 2>&1")
        assert code != 0 and "No space left on device" in out, target
        _, size = await _run(backend, sandbox_id, f"stat -c %s {target}/fill")
        assert int(size) <= cap_mb << 20, target
    code, out = await _run(
        backend, sandbox_id, "rm /workspace/fill && echo fine > /workspace/ok && cat /workspace/ok"
    )
    assert code == 0 and out.strip() == "fine", "the environment stays usable once space is freed"


async def test_bounded_workspace_survives_stop_and_goes_with_the_sandbox(
    small_disk: tuple[DockerBackend, list[str]], docker_client: docker.DockerClient
) -> None:
    backend, made = small_disk
    sandbox_id = await _small_sandbox(backend, made)
    _, out = await _run(
        backend, sandbox_id, "df -B1 --output=size /workspace | tail -1; ls -A /workspace; id -u"
    )
    size, *rest = out.split()
    assert int(size) <= _WORKSPACE_BYTES and rest == ["1000"], "an empty 64 MiB filesystem, no lost+found"
    await _run(backend, sandbox_id, "echo kept > /workspace/note")
    await backend.stop(sandbox_id)
    await backend.start(sandbox_id)
    _, out = await _run(backend, sandbox_id, "cat /workspace/note")
    assert out.strip() == "kept"
    container = docker_client.containers.get(sandbox_id)
    volume = docker_client.volumes.get(container.labels[f"{LABEL_PREFIX}workspace-volume"])
    image = volume.attrs["Labels"][f"{LABEL_PREFIX}workspace-image"]
    assert Path(image).exists() and _loops_of(image)
    await backend.destroy(sandbox_id)
    made.remove(sandbox_id)
    assert not Path(image).exists(), "the image is deleted with the sandbox"
    assert not _loops_of(image), "its loop device is detached"
    with pytest.raises(docker.errors.NotFound):
        docker_client.volumes.get(volume.name)


async def test_log_flood_is_capped(backend: DockerBackend, sandbox_factory: SandboxFactory) -> None:
    docker_client = docker.from_env(version="auto")
    info = await sandbox_factory(command=("sh", "-c", "yes 'flood flood flood'"), limits=Limits(log_max_mb=1))
    await asyncio.sleep(3)  # `yes` writes hundreds of MiB a second
    log_path = Path(docker_client.containers.get(info.id).attrs["LogPath"])
    cap = (1 << 20) + (64 << 10)
    samples: list[list[int]] = []
    for _ in range(20):  # the engine renames and recreates the live file as it rotates: sample, skip the gap
        with contextlib.suppress(FileNotFoundError):
            if files := [p.stat().st_size for p in log_path.parent.glob(log_path.name + "*")]:
                samples.append(files)
        await asyncio.sleep(0.05)
    assert len(samples) >= 10, "the log files exist while the container floods them"
    # Docker 20.10 keeps the live file and one rotated file even with max-file=1: ≤ 2 x max-size on disk.
    assert all(len(files) <= 2 for files in samples), samples
    assert max(max(files) for files in samples) <= cap, "each json-file log stays at its max-size"


async def test_a_second_sandbox_is_unreachable(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    """Proved by the missing route and separate namespaces: B cannot see A's listener, files or processes."""
    a = await sandbox_factory(tenant="tenant-a")
    b = await sandbox_factory(tenant="tenant-b")
    listener = (
        'python3 -c \'import socket,time; s=socket.socket(); s.bind(("0.0.0.0", 8765)); s.listen();'
        ' open("/workspace/a-secret", "w").write("A-ONLY"); time.sleep(30)\''
    )
    serving = asyncio.create_task(_run(backend, a.id, listener, timeout_s=15))
    await asyncio.sleep(1.5)
    probe = (
        "import socket,errno\ns=socket.socket(); s.settimeout(2)\ntry:\n  s.connect(('127.0.0.1', 8765));"
        " print('open')\nexcept OSError as e:\n  print(errno.errorcode[e.errno])\n"
    )
    _, from_a = await _run(backend, a.id, f'python3 -c "{probe}"')
    _, from_b = await _run(backend, b.id, f'python3 -c "{probe}"')
    assert from_a.strip() == "open", "A's own listener answers inside A"
    assert from_b.strip() == "ECONNREFUSED", "B's loopback is its own: A's port is not there"
    _, net = await _run(backend, b.id, LOOPBACK_ONLY)
    assert_loopback_only(net)  # B has no interface but loopback and no route to anything else
    _, seen = await _run(backend, b.id, "ls /workspace; ps -eo args --no-headers")
    assert "a-secret" not in seen and "8765" not in seen, "B sees neither A's files nor its processes"
    serving.cancel()
