"""The sandbox probe under each runtime (issue 19 item 5): gVisor really runs the sandbox under
`runsc` (its `dmesg`), and the boundary the other tests prove holds the same under both: uid 1000,
no capabilities, no network but loopback, and the runner channel carries an agent interaction."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.sandbox import DockerBackend, ExecRequest
from tests.conftest import SandboxFactory
from tests.unit.api_app.conftest import App, start_app

pytestmark = pytest.mark.integration

_PROBE = (
    "dmesg 2>&1 | head -1; id -u; grep -E '^CapEff:' /proc/self/status; "
    "python3 -c 'import socket; print(\"if:\", *sorted(n for _, n in socket.if_nameindex()))'"
)


async def test_the_sandbox_probe_shows_the_runtime_and_the_boundary(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory(network="disabled")
    result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("bash", "-c", _PROBE), timeout_s=30))
    banner, uid, caps, interfaces = result.stdout.decode().strip().splitlines()
    if sandbox_runtime == "runsc":
        assert "Starting gVisor" in banner, "the sandbox's kernel is gVisor's"
    else:
        assert "gVisor" not in banner, "runc shares the host kernel (and hides its log from uid 1000)"
    assert uid == "1000"
    assert caps == "CapEff:\t0000000000000000"
    assert interfaces == "if: lo", "no network device but loopback"


@pytest.fixture
async def runtime_api(sandbox_image: str, sandbox_runtime: str) -> AsyncIterator[App]:
    """The app with real sandboxes under `sandbox_runtime`, no pool, in a short folder (socket paths)."""
    short = Path(tempfile.mkdtemp(prefix="wrt", dir="/tmp"))
    settings = Settings(
        data_dir=short / "data", sandbox_image=sandbox_image, runtime=sandbox_runtime, pool_size=0
    )
    try:
        async for started in start_app(settings):
            try:
                yield started
            finally:
                for env in (await started.a.get("/v1beta/environments")).json().get("environments", []):
                    await started.a.delete(f"/v1beta/environments/{env['id']}")
    finally:
        shutil.rmtree(short, ignore_errors=True)


async def test_the_runner_channel_works_under_the_runtime(runtime_api: App, sandbox_runtime: str) -> None:
    """An agent interaction completes: the runner reached its bind-mounted socket (under gVisor that
    needs `--host-uds=open`), and the sandbox it ran in is the configured runtime's."""
    assert runtime_api.services.environments is not None
    assert runtime_api.services.environments.site.runtime == sandbox_runtime
    body = {
        "agent": "default",
        "agent_config": {"type": "antigravity", "model": "scripted:echo"},
        "input": "hello through the channel",
    }
    done = await runtime_api.a.post("/v1beta/interactions", json=body)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed", done.json()
    record = await runtime_api.services.store.environments.get("tenant-a", done.json()["environment_id"])
    assert record is not None and record.sandbox_id
    inspected = await runtime_api.services.environments.site.backend.exec(
        ExecRequest(sandbox_id=record.sandbox_id, cmd=("bash", "-c", "dmesg 2>&1 | head -1"), timeout_s=30)
    )
    assert ("Starting gVisor" in inspected.stdout.decode()) is (sandbox_runtime == "runsc")
