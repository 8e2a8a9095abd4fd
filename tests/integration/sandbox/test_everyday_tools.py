"""The commands agents run most work the same under both runtimes (issue 19 item 5).

Debian 12's gVisor answers EINVAL to any statx() carrying AT_NO_AUTOMOUNT, which coreutils always
passes, so `ls /workspace` failed in every gVisor sandbox until the image preloaded its shim
(`sandbox_image/gvisor_statx.c`). This checks the commands, not the shim.
"""

from __future__ import annotations

import pytest

from orchestrator.sandbox import DockerBackend, ExecRequest
from tests.conftest import SandboxFactory

pytestmark = pytest.mark.integration

_SCRIPT = (
    "set -e; echo hi > /workspace/a.txt; mkdir -p /workspace/d; "
    "ls /workspace; ls -la /workspace/a.txt | cut -c1-10; stat -c '%n %s' /workspace/a.txt; "
    "ls /skills/data-analysis | grep -x SKILL.md; stat -c %F /etc; ls -d /tmp; du -s /workspace/d | cut -f2; "
    "cp /workspace/a.txt /workspace/b.txt; find /workspace -name b.txt"
)


async def test_ls_stat_cp_and_find_work_on_paths(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory()
    result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("bash", "-c", _SCRIPT), timeout_s=30))
    out = (result.stdout + result.stderr).decode()
    assert result.exit_code == 0, f"{sandbox_runtime}: {out}"
    assert out.splitlines() == [
        "a.txt",
        "d",
        "-rw-r--r--",
        "/workspace/a.txt 3",
        "SKILL.md",
        "directory",
        "/tmp",
        "/workspace/d",
        "/workspace/b.txt",
    ], out
