"""The names the Docker rooms share: Warren's labels on containers and volumes, and the exec marker.

A container and its workspace volume find each other, and the reaper finds both, only through these
labels, so every room that writes or reads one takes its name from here.
"""

from __future__ import annotations

from typing import Any

from docker.models.containers import Container

from orchestrator.sandbox.backend import LABEL_PREFIX, SandboxInfo

__all__ = [
    "CREATED_LABEL",
    "ENVIRONMENT_LABEL",
    "EXEC_MARKER",
    "IMAGE_LABEL",
    "ROLE_LABEL",
    "TENANT_LABEL",
    "VOLUME_LABEL",
    "info_of",
    "listed_info",
    "managed_filters",
]

VOLUME_LABEL = f"{LABEL_PREFIX}workspace-volume"
"""On a container: the name of its workspace volume."""
IMAGE_LABEL = f"{LABEL_PREFIX}workspace-image"
"""On a bounded workspace volume: the host path of its ext4 image."""
CREATED_LABEL = f"{LABEL_PREFIX}created"
"""Unix time (seconds) the backend created the container or volume: the reaper's grace clock."""
ROLE_LABEL = f"{LABEL_PREFIX}role"
"""On a helper container (the fork copy): what it is for."""
ENVIRONMENT_LABEL = f"{LABEL_PREFIX}environment"
TENANT_LABEL = f"{LABEL_PREFIX}tenant"
EXEC_MARKER = "WARREN_EXEC_ID"
"""Environment variable every exec carries, so a sweep can find what one exec started."""


def managed_filters(labels: dict[str, str] | None) -> dict[str, list[str]]:
    """Engine list filters for Warren's own objects, narrowed by `labels`."""
    wanted = {f"{LABEL_PREFIX}managed": "true", **(labels or {})}
    return {"label": [f"{key}={value}" for key, value in wanted.items()]}


def info_of(container: Container) -> SandboxInfo:
    """The backend-neutral view of an inspected container."""
    return listed_info(container.id or "", container.status, dict(container.labels))


def listed_info(sandbox_id: str, status: str, labels: dict[str, Any]) -> SandboxInfo:
    """The backend-neutral view of a container from its id, status and labels."""
    return SandboxInfo(
        id=sandbox_id,
        environment_id=labels.get(ENVIRONMENT_LABEL, ""),
        tenant=labels.get(TENANT_LABEL, ""),
        status=status,
        labels=labels,
    )
