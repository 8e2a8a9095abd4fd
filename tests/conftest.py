"""Fixtures shared by every test layer.

The engine and the sandbox image are set up once per session, outside any test's timing; tests
that never ask for them run without an engine.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from orchestrator.environments.site import STORE_LABEL
from orchestrator.sandbox import DockerBackend, SandboxInfo, SandboxSpec
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.sandbox.image import build_image
from orchestrator.sandbox.runtimes import runtimes_of
from tests.support.sweep import TEST_LABEL, sweep_session

REPO = Path(__file__).resolve().parents[1]
TEST_SESSION = uuid.uuid4().hex[:10]
# Every server the tests start (in-process or a `warren serve` child, which inherits this) tags its
# sandboxes with this session's label, so the sweep below removes only what this session made. Each
# pytest-xdist worker (`make test` runs two) imports this file itself: a session of its own.
os.environ["WARREN_SANDBOX_LABELS"] = f"{TEST_LABEL}={TEST_SESSION}"


def _engine_answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    """A client of a running engine; starts one (scripts/ensure-engine.sh) when none answers."""
    if not _engine_answers():
        subprocess.run([str(REPO / "scripts" / "ensure-engine.sh")], check=True)
    return docker.from_env(version="auto")


@pytest.fixture(scope="session")
def sandbox_image(docker_client: docker.DockerClient) -> str:
    """The sandbox image for this tree, built once (a no-op when its tag exists)."""
    return build_image(docker_client).sandbox


@pytest.fixture(scope="session")
async def backend(sandbox_image: str, docker_client: docker.DockerClient) -> AsyncIterator[DockerBackend]:
    """The real Docker backend; at the end of the session no container the tests made directly (not
    through a server, whose environments outlive requests by design) may remain."""
    async with DockerBackend(image=sandbox_image, extra_labels={TEST_LABEL: TEST_SESSION}) as backend:
        yield backend
        tagged = await backend.list({TEST_LABEL: TEST_SESSION})
        left = [info for info in tagged if STORE_LABEL not in info.labels]
        await asyncio.gather(*(backend.destroy(info.id) for info in left))
        assert not left, f"containers left behind by tests: {[info.labels for info in left]}"


RUNTIMES = ("runc", "runsc")
"""Every test that asks for `sandbox_runtime` (the hardening, egress, browser and security tests
that make sandboxes) runs under each: the host kernel behind runc, and gVisor."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test whose fixtures ask for `sandbox_runtime` once per runtime, grouped by runtime."""
    if "sandbox_runtime" in metafunc.fixturenames:
        metafunc.parametrize("sandbox_runtime", RUNTIMES, indirect=True, scope="session")


@pytest.fixture(scope="session")
def sandbox_runtime(request: pytest.FixtureRequest, docker_client: docker.DockerClient) -> str:
    """The OCI runtime of this test's sandboxes; registers gVisor (`make engine`) when the engine lacks it."""
    runtime: str = request.param
    if runtime not in runtimes_of(docker_client.info()):
        subprocess.run([str(REPO / "scripts" / "ensure-engine.sh")], check=True)
    return runtime


SandboxFactory = Callable[..., Awaitable[SandboxInfo]]


@pytest.fixture
async def sandbox_factory(
    backend: DockerBackend, request: pytest.FixtureRequest, sandbox_runtime: str
) -> AsyncIterator[SandboxFactory]:
    """Create started sandboxes tagged with the test id, under each runtime (`sandbox_runtime`); all
    are destroyed concurrently after the test."""
    created: list[SandboxInfo] = []

    async def make(**spec_fields: Any) -> SandboxInfo:
        labels = {TEST_LABEL: TEST_SESSION, f"{LABEL_PREFIX}test": request.node.name[:60]}
        spec = SandboxSpec(
            environment_id=spec_fields.pop("environment_id", f"test-{uuid.uuid4().hex[:8]}"),
            tenant=spec_fields.pop("tenant", "test-tenant"),
            labels=labels,
            runtime=spec_fields.pop("runtime", sandbox_runtime),
            **spec_fields,
        )
        info = await backend.create(spec)
        created.append(info)
        await backend.start(info.id)
        return info

    yield make
    await asyncio.gather(*(backend.destroy(info.id) for info in created))


@pytest.fixture(scope="session", autouse=True)
def _sweep_session_sandboxes() -> Iterator[None]:
    """Remove every Warren sandbox and workspace volume this session made, when it ends.

    Servers the tests start (`warren serve`, the CLI's embedded one) keep their environments by
    design, across restarts; their throwaway stores are gone after the session, so sweep here. Only
    this session's label is swept: a `warren serve` running beside the tests keeps its sandboxes.
    """
    yield
    if _engine_answers():
        sweep_session(docker.from_env(version="auto"), TEST_SESSION)
