"""A sandbox's whole life against the real engine: create, exec, files in and out, destroy."""

from __future__ import annotations

import io
import tarfile

import pytest

from orchestrator.sandbox import DockerBackend, ExecRequest, SandboxSpec, UnsafeArchiveError
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.sandbox.tarsafe import pack_files, safe_extract
from tests.conftest import TEST_LABEL, TEST_SESSION, SandboxFactory

pytestmark = pytest.mark.integration


async def test_create_exec_put_get_destroy(backend: DockerBackend, tmp_path) -> None:
    spec = SandboxSpec(environment_id="env-life", tenant="tenant-a", labels={TEST_LABEL: TEST_SESSION})
    info = await backend.create(spec)
    try:
        assert info.labels[f"{LABEL_PREFIX}environment"] == "env-life"
        assert info.labels[f"{LABEL_PREFIX}tenant"] == "tenant-a"
        assert info.labels[f"{LABEL_PREFIX}version"]
        await backend.start(info.id)

        result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("python3", "-c", "print(6*7)")))
        assert (result.exit_code, result.stdout, result.timed_out) == (0, b"42\n", False)

        await backend.put_archive(info.id, "/workspace", pack_files({"notes/hello.txt": b"hi from the host"}))
        listed = await backend.exec(
            ExecRequest(sandbox_id=info.id, cmd=("stat", "-c", "%u %n", "notes/hello.txt"))
        )
        assert listed.stdout == b"1000 notes/hello.txt\n", (
            "files put into the sandbox belong to the agent user"
        )

        tar_bytes = await backend.get_archive(info.id, "/workspace/notes")
        written = safe_extract(tar_bytes, tmp_path)
        assert (tmp_path / "notes" / "hello.txt").read_bytes() == b"hi from the host"
        assert written == [tmp_path / "notes" / "hello.txt"]
    finally:
        await backend.destroy(info.id)
    assert await backend.list({f"{LABEL_PREFIX}environment": "env-life", TEST_LABEL: TEST_SESSION}) == []
    await backend.destroy(info.id)  # destroying twice is not an error


async def test_exec_streams_output_before_the_command_ends(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory()
    script = "import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.3)\n"
    seen: list[bytes] = []
    async for item in backend.exec_stream(ExecRequest(sandbox_id=info.id, cmd=("python3", "-c", script))):
        if hasattr(item, "data"):
            seen.append(item.data)
    assert len(seen) >= 2, "output arrives in pieces as it is produced, not all at the end"
    assert b"".join(seen) == b"0\n1\n2\n"


async def test_non_zero_exit_is_data_and_stderr_is_separate(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory()
    result = await backend.exec(
        ExecRequest(sandbox_id=info.id, cmd=("sh", "-c", "echo out; echo err >&2; exit 3"))
    )
    assert (result.exit_code, result.stdout, result.stderr) == (3, b"out\n", b"err\n")


async def test_workspace_survives_stop_and_start(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory()
    await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("sh", "-c", "echo kept > /workspace/state.txt")))
    await backend.stop(info.id, timeout_s=2)
    await backend.start(info.id)
    result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("cat", "/workspace/state.txt")))
    assert result.stdout == b"kept\n"


async def test_put_archive_refuses_an_unsafe_tar(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as archive:
        member = tarfile.TarInfo("../../etc/evil")
        member.size = 4
        archive.addfile(member, io.BytesIO(b"evil"))
    with pytest.raises(UnsafeArchiveError, match="escapes"):
        await backend.put_archive(info.id, "/workspace", buffer.getvalue())
    result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("ls", "-A", "/workspace")))
    assert result.stdout == b""


async def test_stats_report_memory_and_limit(backend: DockerBackend, sandbox_factory: SandboxFactory) -> None:
    info = await sandbox_factory()
    stats = await backend.stats(info.id)
    assert stats.memory_limit_bytes == 2048 * 1024 * 1024
    assert 0 < stats.memory_bytes < stats.memory_limit_bytes
    assert stats.pids >= 1
