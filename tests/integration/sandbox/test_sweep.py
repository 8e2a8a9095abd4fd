"""The test session's sweep removes only what it made, its workspaces' images included: a `warren
serve` running beside the tests on the same engine keeps its sandboxes and workspace volumes."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest

from orchestrator.sandbox import DockerBackend, SandboxSpec
from orchestrator.sandbox.workspace_images import bounded_possible, image_of
from tests.support.sweep import TEST_LABEL, sweep_session

pytestmark = pytest.mark.integration


async def test_the_sweep_spares_a_server_running_beside_the_tests(
    sandbox_image: str, docker_client: docker.DockerClient
) -> None:
    mine, beside = f"sweep-{uuid.uuid4().hex[:8]}", f"beside-{uuid.uuid4().hex[:8]}"
    # Two servers on one engine: one tagged as a test session's, one as an operator's own deployment
    # (labels set as WARREN_SANDBOX_LABELS would set them; Warren's own labels are the same).
    ours_backend = DockerBackend(image=sandbox_image, extra_labels={TEST_LABEL: mine})
    their_backend = DockerBackend(image=sandbox_image, extra_labels={"deployment": beside})
    ours = await ours_backend.create(SandboxSpec(environment_id=f"env-{mine}", tenant="t"))
    theirs = await their_backend.create(SandboxSpec(environment_id=f"env-{beside}", tenant="t"))
    try:
        await their_backend.start(theirs.id)
        (volume,) = docker_client.volumes.list(filters={"label": f"{TEST_LABEL}={mine}"})
        image = image_of(volume.attrs)
        assert (image is not None and Path(image).is_file()) == bounded_possible()
        sweep_session(docker_client, mine)
        left = {
            c.id for c in docker_client.containers.list(all=True, filters={"label": "dev.warren.managed"})
        }
        assert ours.id not in left, "the session's own sandbox is swept"
        assert theirs.id in left, "a sandbox of a server beside the tests is kept"
        assert docker_client.containers.get(theirs.id).status == "running"
        volumes = {v.name for v in docker_client.volumes.list(filters={"label": f"deployment={beside}"})}
        assert volumes, "and its workspace volume too"
        assert not docker_client.volumes.list(filters={"label": f"{TEST_LABEL}={mine}"})
        if image is not None:
            attached = [b.read_text().strip() for b in Path("/sys/block").glob("loop*/loop/backing_file")]
            assert not Path(image).exists() and image not in attached, "its image deleted and detached"
    finally:
        await their_backend.destroy(theirs.id)
        await ours_backend.close()
        await their_backend.close()
