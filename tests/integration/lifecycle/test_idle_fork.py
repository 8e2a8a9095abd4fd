"""Idle stop and resume, explicit stop and resume, and forks (`from_environment`). Issue 8, "Lifecycle"."""

from __future__ import annotations

import asyncio
from typing import Any

import docker
import pytest

from orchestrator.sandbox import ExecRequest
from tests.integration.lifecycle.conftest import Server, V, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

# A venv in the workspace with a package in its site-packages (what `pip install` leaves there: the
# image has no network to install from), a plain file, and a symlink.
SETUP = """
set -e
python -m venv --without-pip /workspace/venv
site=$(/workspace/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
mkdir -p "$site/warrenpkg" /workspace/lib/warrenlib
echo 'VALUE = 42' > "$site/warrenpkg/__init__.py"
echo 'NAME = "target"' > /workspace/lib/warrenlib/__init__.py
echo 'hello' > /workspace/notes.txt
ln -s notes.txt /workspace/link.txt
"""
CHECK = (
    "/workspace/venv/bin/python -c 'import warrenpkg; print(warrenpkg.VALUE)'"
    " && PYTHONPATH=/workspace/lib python -c 'import warrenlib; print(warrenlib.NAME)'"
    " && cat /workspace/link.txt"
)


async def sh(server: Server, env_id: str, script: str) -> str:
    sandbox_id = await server.environments.sandbox(server.tenant, env_id)
    result = await server.environments.backend.exec(
        ExecRequest(sandbox_id=sandbox_id, cmd=("bash", "-c", script), timeout_s=30)
    )
    assert result.exit_code == 0, result.stderr.decode()
    return result.stdout.decode()


def status(docker_client: docker.DockerClient, sandbox_id: str) -> str:
    return str(docker_client.containers.get(sandbox_id).status)


async def row(server: Server, env_id: str) -> Any:
    record = await server.services.store.environments.get(server.tenant, env_id)
    assert record is not None
    return record


async def test_idle_environment_stops_and_resumes_with_workspace_and_packages(
    start: Any, docker_client: docker.DockerClient
) -> None:
    async with start(idle_stop_s=1.0, lifecycle_interval_s=0.3) as server:
        env_id = (await server.client.post(f"{V}/environments", json={})).json()["id"]
        await sh(server, env_id, SETUP)
        sandbox_id = (await row(server, env_id)).sandbox_id
        await wait_for(lambda: status(docker_client, sandbox_id) == "exited", "the idle sandbox to stop")

        async def marked() -> bool:
            return bool((await row(server, env_id)).status == "stopped")

        await wait_for(marked, "the row to say stopped")

        listed = await server.client.get(f"{V}/environments/{env_id}/files")  # the next use resumes it
        assert listed.status_code == 200, listed.text
        assert status(docker_client, sandbox_id) == "running"
        assert (await row(server, env_id)).sandbox_id == sandbox_id
        assert await sh(server, env_id, CHECK) == "42\ntarget\nhello\n"


async def test_stop_and_resume_routes(start: Any, docker_client: docker.DockerClient) -> None:
    async with start(idle_stop_s=0) as server:
        env_id = (await server.client.post(f"{V}/environments", json={})).json()["id"]
        await sh(server, env_id, "echo kept > /workspace/kept.txt")
        sandbox_id = (await row(server, env_id)).sandbox_id
        for other in ("stop", "resume"):
            refused = await server.other.post(f"{V}/environments/{env_id}:{other}")
            assert refused.status_code == 404, refused.text
        stopped = await server.client.post(f"{V}/environments/{env_id}:stop")
        assert stopped.status_code == 200 and stopped.json()["id"] == env_id, stopped.text
        assert status(docker_client, sandbox_id) == "exited"
        resumed = await server.client.post(f"{V}/environments/{env_id}:resume")
        assert resumed.status_code == 200, resumed.text
        assert status(docker_client, sandbox_id) == "running"
        assert await sh(server, env_id, "cat /workspace/kept.txt") == "kept\n"
        openapi = server.app.openapi()["paths"]
        assert openapi["/{api_version}/environments/{environment_id}:stop"]["post"]["x-warren-extension"]


async def test_fork_copies_the_workspace_then_diverges(
    start: Any, docker_client: docker.DockerClient
) -> None:
    async with start(idle_stop_s=0) as server:
        parent = (await server.client.post(f"{V}/environments", json={"network": "disabled"})).json()["id"]
        await sh(server, parent, SETUP)
        await server.client.post(f"{V}/environments/{parent}:stop")  # a stopped parent can be copied

        made = await server.client.post(
            f"{V}/environments", json={"from_environment": f"environments/{parent}"}
        )
        assert made.status_code == 200, made.text
        fork = made.json()["id"]
        assert fork != parent and made.json().get("network") == "disabled"
        assert await sh(server, fork, CHECK) == "42\ntarget\nhello\n"

        await sh(server, fork, "echo fork > /workspace/notes.txt; touch /workspace/only-fork")
        await sh(server, parent, "echo parent > /workspace/only-parent")
        assert (
            await sh(server, parent, "cat notes.txt; ls")
            == "hello\nlib\nlink.txt\nnotes.txt\nonly-parent\nvenv\n"
        )
        assert (
            await sh(server, fork, "cat notes.txt; ls") == "fork\nlib\nlink.txt\nnotes.txt\nonly-fork\nvenv\n"
        )

        # Deleting the parent leaves the fork whole.
        assert (await server.client.delete(f"{V}/environments/{parent}")).status_code == 200
        assert await sh(server, fork, "cat notes.txt") == "fork\n"


async def test_fork_of_another_tenants_or_a_missing_environment_is_404(start: Any) -> None:
    async with start(idle_stop_s=0) as server:
        parent = (await server.client.post(f"{V}/environments", json={})).json()["id"]
        for client, name in ((server.other, parent), (server.client, "env_missing")):
            refused = await client.post(f"{V}/environments", json={"from_environment": name})
            assert refused.status_code == 404, refused.text
            assert "from_environment" in refused.json()["error"]["message"]
        assert (await server.other.get(f"{V}/environments")).json().get("environments", []) == []


async def test_concurrent_use_during_idle_stop_keeps_a_running_sandbox(start: Any) -> None:
    """A use that begins while the idle stopper runs wins: the sandbox it was given stays up.

    Each use lands at the edge of the idle limit; the limit is longer than one exec takes (about
    0.3 s under gVisor on a busy machine), since an exec itself is not a use the stopper sees."""
    async with start(idle_stop_s=1.0, lifecycle_interval_s=0.1) as server:
        env_id = (await server.client.post(f"{V}/environments", json={})).json()["id"]
        for _ in range(8):
            assert await sh(server, env_id, "echo ok") == "ok\n"
            await asyncio.sleep(0.95)
