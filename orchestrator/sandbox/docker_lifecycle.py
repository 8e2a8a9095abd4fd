"""A sandbox's life as a container: create (with its workspace volume), start, stop, destroy.

The container and its volume are made and removed together: a failed create removes the volume it
just made, and destroy removes the volume the container's label names. Both carry the creation
time, the reaper's grace clock, and the deployment's own labels (`extra_labels`).
"""

from __future__ import annotations

import contextlib
import secrets
import time

from docker.models.containers import Container

from orchestrator.sandbox.backend import SandboxError, SandboxInfo, SandboxNotFoundError, SandboxSpec
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_labels import CREATED_LABEL, VOLUME_LABEL, info_of
from orchestrator.sandbox.docker_volumes import WorkspaceVolumes
from orchestrator.sandbox.hardening import container_kwargs, warren_labels

__all__ = ["create", "destroy", "start", "stop"]


async def create(
    engine: DockerEngine,
    volumes: WorkspaceVolumes,
    spec: SandboxSpec,
    image: str,
    extra_labels: dict[str, str],
) -> SandboxInfo:
    """Create a hardened container from `image` and its workspace volume (not started)."""
    client = await engine.client()
    suffix = secrets.token_hex(4)
    volume_name = f"warren-ws-{spec.environment_id}-{suffix}"
    created = {CREATED_LABEL: str(int(time.time()))}
    await volumes.create(volume_name, {**extra_labels, **warren_labels(spec), **created})
    kwargs = container_kwargs(spec, image, f"warren-{spec.environment_id}-{suffix}", volume_name)
    kwargs["labels"] = {**extra_labels, **kwargs["labels"], **created, VOLUME_LABEL: volume_name}
    try:
        container: Container = await engine.call(client.containers.create, **kwargs)
    except BaseException:
        await volumes.remove(volume_name)
        raise
    return info_of(container)


async def start(engine: DockerEngine, volumes: WorkspaceVolumes, sandbox_id: str) -> None:
    """Start (or resume) a sandbox.

    A bounded workspace whose loop device is gone (a host reboot) is attached again first; if that
    is impossible the start fails rather than run with an unbounded workspace.
    """
    client = await engine.client()
    try:
        await engine.call(client.api.start, sandbox_id)
    except SandboxNotFoundError:
        raise
    except SandboxError:
        if not await volumes.reattach(sandbox_id):
            raise
        await engine.call(client.api.start, sandbox_id)


async def stop(engine: DockerEngine, sandbox_id: str, timeout_s: float) -> None:
    """Stop a sandbox within `timeout_s` **seconds**; its workspace volume is kept for `start`."""
    client = await engine.client()
    await engine.call(client.api.stop, sandbox_id, timeout=int(timeout_s))


async def destroy(engine: DockerEngine, volumes: WorkspaceVolumes, sandbox_id: str) -> None:
    """Remove the container and its workspace volume; a missing sandbox is fine."""
    try:
        container = await engine.container(sandbox_id)
    except SandboxNotFoundError:
        return
    volume = container.labels.get(VOLUME_LABEL)
    with contextlib.suppress(SandboxNotFoundError):
        await engine.call(container.remove, force=True, v=True)
    if volume:
        await volumes.remove(volume)
