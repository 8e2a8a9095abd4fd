"""What the environment service needs from the layers that run agents in its sandboxes (ports).

The service knows nothing of runners or channels: the runner side implements `SandboxHook` and is
passed to the service's constructor, as `sandbox/backend.py` is implemented by a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from orchestrator.sandbox import Mount
from orchestrator.skills import SkillSet
from orchestrator.store.environments import EnvironmentRecord

__all__ = ["MemoryPauser", "SandboxExtras", "SandboxHook", "WorkspaceCopier"]


@dataclass(frozen=True)
class SandboxExtras:
    """What a hook adds to a new sandbox."""

    mounts: tuple[Mount, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    command: tuple[str, ...] | None = None
    skills: SkillSet | None = None
    """The skills of the agent the sandbox is for; None keeps the image's bundled skills."""


class SandboxHook(Protocol):
    """Called around the life of an environment's sandbox."""

    async def extras(self, record: EnvironmentRecord) -> SandboxExtras:
        """Mounts, environment variables and main process for the new sandbox (never a credential)."""
        ...

    async def starting(self, record: EnvironmentRecord) -> None:
        """The environment's stopped (or new) sandbox is about to start: open its runner's one claim."""
        ...

    async def not_started(self, record: EnvironmentRecord) -> None:
        """The start after `starting` failed: close that claim."""
        ...

    async def released(self, record: EnvironmentRecord) -> None:
        """The environment was deleted: drop what `extras` set up."""
        ...

    def stopped(self, environment_id: str) -> None:
        """The environment's sandbox stopped (the channel drops the dead runner's long polls, so
        they cannot take the next turn)."""
        ...

    async def parking(self, environment_id: str) -> bool:
        """The idle sandbox is about to be paused with its memory: whether its runner let go of every
        host connection in time (if not, the sandbox is stopped instead)."""
        ...


@runtime_checkable
class MemoryPauser(Protocol):
    """A backend that can pause a sandbox with its processes and memory (`DockerBackend` under gVisor)."""

    async def can_pause(self, sandbox_id: str) -> bool:
        """Whether `pause` may work for this sandbox (its runtime and the engine allow it)."""
        ...

    async def pause(self, sandbox_id: str) -> bool:
        """Save the sandbox's processes and memory and stop it; False when that failed (the sandbox
        may be stopped or still running: stop it to be sure)."""
        ...

    async def resume(self, sandbox_id: str) -> bool:
        """Start the sandbox from its pause; False (and no pause kept) when it has none or it failed."""
        ...


@runtime_checkable
class WorkspaceCopier(Protocol):
    """A backend that can copy one sandbox's workspace into another's (`DockerBackend` can)."""

    async def copy_workspace(self, source_id: str, target_id: str, timeout_s: float = 300.0) -> None:
        """Copy the workspace of `source_id` into the (not yet started) sandbox `target_id`."""
        ...
