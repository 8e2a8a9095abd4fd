"""Fixtures shared by every test layer.

The engine and the sandbox image are set up once per session, outside any test's timing; tests
that never ask for them run without an engine.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import docker
import pytest

from orchestrator.sandbox import DockerBackend, SandboxInfo, SandboxSpec
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.sandbox.image import build_image

REPO = Path(__file__).resolve().parents[1]
TEST_SESSION = uuid.uuid4().hex[:10]
TEST_LABEL = f"{LABEL_PREFIX}test-session"


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
    """The real Docker backend; at the end of the session no container of this session may remain."""
    async with DockerBackend(image=sandbox_image) as backend:
        yield backend
        left = await backend.list({TEST_LABEL: TEST_SESSION})
        await asyncio.gather(*(backend.destroy(info.id) for info in left))
        assert not left, f"containers left behind by tests: {[info.labels for info in left]}"


SandboxFactory = Callable[..., Awaitable[SandboxInfo]]


@pytest.fixture
async def sandbox_factory(
    backend: DockerBackend, request: pytest.FixtureRequest
) -> AsyncIterator[SandboxFactory]:
    """Create started sandboxes tagged with the test id; all are destroyed concurrently after the test."""
    created: list[SandboxInfo] = []

    async def make(**spec_fields: Any) -> SandboxInfo:
        labels = {TEST_LABEL: TEST_SESSION, f"{LABEL_PREFIX}test": request.node.name[:60]}
        spec = SandboxSpec(
            environment_id=spec_fields.pop("environment_id", f"test-{uuid.uuid4().hex[:8]}"),
            tenant=spec_fields.pop("tenant", "test-tenant"),
            labels=labels,
            **spec_fields,
        )
        info = await backend.create(spec)
        created.append(info)
        await backend.start(info.id)
        return info

    yield make
    await asyncio.gather(*(backend.destroy(info.id) for info in created))
