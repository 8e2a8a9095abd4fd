"""Remove what one test session made on a shared engine, and nothing else."""

from __future__ import annotations

import contextlib

import docker

from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.sandbox.workspace_images import image_of, release_image

TEST_LABEL = f"{LABEL_PREFIX}test-session"
"""Every container and volume a test session's servers make carries this label with the session's id
(through `WARREN_SANDBOX_LABELS`)."""


def sweep_session(client: docker.DockerClient, session: str) -> None:
    """Remove Warren's containers and volumes labelled with `session`, and the loop-attached image
    behind each bounded workspace volume (a volume removed through the engine leaves it attached
    until a later server's sweep); a `warren serve` running beside the tests (or another test
    session) keeps its own."""
    ours = {"label": [f"{LABEL_PREFIX}managed=true", f"{TEST_LABEL}={session}"]}
    gone = (docker.errors.NotFound, docker.errors.APIError)  # removed meanwhile, or being removed
    with contextlib.suppress(*gone):
        for container in client.containers.list(all=True, filters=ours, sparse=True):
            with contextlib.suppress(*gone):
                container.remove(force=True, v=True)
    with contextlib.suppress(*gone):
        for volume in client.volumes.list(filters=ours):
            image = image_of(volume.attrs)
            with contextlib.suppress(*gone):
                volume.remove(force=True)
                release_image(image)
