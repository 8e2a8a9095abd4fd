"""`WorkspaceVolumes`: each sandbox's `/workspace` as a Docker volume, bounded when the host allows.

A bounded volume is a `local` volume over a loop device (`workspace_images`), mounted `nosuid,nodev`.
The volume (so the data) lives until the sandbox is destroyed: it survives stop and resume, the copy
helper of a fork mounts it like any volume, and removing it detaches the loop device and deletes the
image. The reaper's pass (`reap`) also removes volumes and images whose owner vanished.
"""

from __future__ import annotations

import time
from pathlib import Path

from orchestrator.sandbox import workspace_images as images
from orchestrator.sandbox.backend import SandboxError, SandboxNotFoundError
from orchestrator.sandbox.docker_engine import DockerEngine
from orchestrator.sandbox.docker_labels import CREATED_LABEL, IMAGE_LABEL, VOLUME_LABEL, managed_filters

__all__ = ["WorkspaceVolumes"]


class WorkspaceVolumes:
    """Creates, re-attaches and removes workspace volumes.

    Args:
        engine: the backend's engine calls.
        workspace_bytes: size of every `/workspace` in **bytes** (0: unbounded).
        workspace_dir: host folder of the workspace images.
    """

    def __init__(self, engine: DockerEngine, workspace_bytes: int, workspace_dir: Path) -> None:
        self._engine = engine
        self.workspace_bytes = workspace_bytes
        self.workspace_dir = workspace_dir
        self._bounded: bool | None = None
        self._swept = False

    async def _is_bounded(self) -> bool:
        if self.workspace_bytes <= 0:
            return False
        if self._bounded is None:  # the probe stats PATH: once, off the loop
            self._bounded = await self._engine.run(images.bounded_possible)
        return self._bounded

    async def create(self, name: str, labels: dict[str, str]) -> None:
        """A plain volume, or (bounded) a `local` volume over a fresh loop-attached ext4 image."""
        client = await self._engine.client()
        if not await self._is_bounded():
            await self._engine.call(client.volumes.create, name=name, labels=labels)
            return
        if not self._swept:
            self._swept = True
            await self.sweep_images(older_than_s=60.0)
        image = self.workspace_dir / f"{name}{images.IMAGE_SUFFIX}"
        device = await self._engine.run(images.make_image, image, self.workspace_bytes)
        options = {"type": "ext4", "device": device, "o": "nosuid,nodev"}
        try:
            await self._engine.call(
                client.volumes.create,
                name=name,
                driver="local",
                driver_opts=options,
                labels={**labels, IMAGE_LABEL: str(image)},
            )
        except BaseException:
            await self._engine.run(images.release_image, str(image))
            raise

    async def remove(self, name: str) -> None:
        """Remove a volume and release its image; a missing volume is fine."""
        client = await self._engine.client()
        try:
            volume = await self._engine.call(client.volumes.get, name)
            await self._engine.call(volume.remove, force=True)
        except SandboxNotFoundError:
            return
        await self._engine.run(images.release_image, images.image_of(volume.attrs))

    async def reattach(self, sandbox_id: str) -> bool:
        """Attach a bounded workspace's image to its loop device again; whether anything changed."""
        client = await self._engine.client()
        try:
            container = await self._engine.container(sandbox_id)
            volume = await self._engine.call(client.volumes.get, container.labels.get(VOLUME_LABEL, ""))
        except SandboxError:
            return False
        image, device = images.image_of(volume.attrs), (volume.attrs.get("Options") or {}).get("device", "")
        if not image or not device:
            return False
        return await self._engine.run(images.reattach, device, image)

    async def sweep_images(self, older_than_s: float) -> int:
        """Release images in `workspace_dir` whose volume is gone (removed behind Warren's back)."""
        if self.workspace_bytes <= 0:
            return 0
        client = await self._engine.client()
        released = 0
        for image in await self._engine.run(images.settled_images, self.workspace_dir, older_than_s):
            try:
                await self._engine.call(client.volumes.get, image.name.removesuffix(images.IMAGE_SUFFIX))
            except SandboxNotFoundError:
                await self._engine.run(images.release_image, str(image))
                released += 1
            except SandboxError:
                continue
        return released

    async def reap(self, labels: dict[str, str], older_than_s: float) -> int:
        """Remove Warren's workspace volumes (narrowed by `labels`) that no container names any more.

        Only volumes older than `older_than_s` **seconds** go, so one being created is left alone.
        Returns how many were removed.
        """
        client = await self._engine.client()
        await self.sweep_images(older_than_s)
        filters = managed_filters(labels)
        volumes = await self._engine.call(client.volumes.list, filters=filters)
        listed = await self._engine.call(client.api.containers, all=True, filters=filters)
        used = {(item.get("Labels") or {}).get(VOLUME_LABEL) for item in listed}  # no inspect: no race
        cutoff = time.time() - older_than_s
        removed = 0
        for volume in volumes:
            created = (volume.attrs.get("Labels") or {}).get(CREATED_LABEL)
            if volume.name in used or created is None or float(created) > cutoff:
                continue
            try:
                await self._engine.call(volume.remove, force=True)
                removed += 1
            except SandboxError:
                continue  # in use after all (a container made between the two lists), or already gone
            await self._engine.run(images.release_image, images.image_of(volume.attrs))
        return removed
