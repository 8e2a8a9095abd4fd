"""Environments: a stored row plus, once needed, a sandbox with a persistent `/workspace`.

Rows are written before containers are created, so a restart can reconcile them. Sources are
checked (and repositories cloned) when the environment is created, so a bad one fails the create.
The sandbox is created on first use (files, an interaction), seeded from the environment's sources,
its skills mounted at `/skills`, and resumed when it was stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from orchestrator.config import Settings
from orchestrator.environments.files import WorkspaceFiles
from orchestrator.environments.sources import SourceError, Sources
from orchestrator.sandbox import Limits, Mount, SandboxBackend, SandboxNotFoundError, SandboxSpec
from orchestrator.skills import SkillSet
from orchestrator.store import Store
from orchestrator.store.environments import EnvironmentRecord, EnvironmentUpdate
from orchestrator.store.errors import NotFoundError

__all__ = ["EnvironmentService", "SourceError", "new_environment_id"]


@dataclass(frozen=True)
class SandboxExtras:
    """What a hook adds to a new sandbox."""

    mounts: tuple[Mount, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    command: tuple[str, ...] | None = None
    skills: SkillSet | None = None
    """The skills of the agent the sandbox is for; None keeps the image's bundled skills."""


class SandboxHook(Protocol):
    """Called before an environment's sandbox is created."""

    async def extras(self, record: EnvironmentRecord) -> SandboxExtras:
        """Mounts, environment variables and main process for the new sandbox."""
        ...

    async def released(self, record: EnvironmentRecord) -> None:
        """The environment was deleted: drop what `extras` set up."""
        ...


def new_environment_id() -> str:
    """An unguessable, URL-safe environment id."""
    return f"env_{secrets.token_hex(12)}"


class EnvironmentService:
    """Creates environments and gives each one a running sandbox on demand.

    Args:
        store: the database.
        backend: where sandboxes run.
        limits: resource limits for every sandbox.
        runtime: OCI runtime for every sandbox (e.g. `runsc`), or the engine's default.
        settings: where clones and skills live and what sources may reach (default: `Settings()`).
    """

    def __init__(
        self,
        store: Store,
        backend: SandboxBackend,
        limits: Limits | None = None,
        runtime: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.store = store
        self.backend = backend
        self.limits = limits or Limits()
        self.runtime = runtime
        self.sources = Sources.from_settings(settings or Settings())
        """Checks, fetches and materialises data sources."""
        self.skills = self.sources.skills
        """Uploaded and bundled skills, and the mounts that show them."""
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self.hook: SandboxHook | None = None
        """Adds mounts, variables and a main process to new sandboxes (the runner channel sets it)."""

    async def create(
        self, tenant: str, spec: Mapping[str, Any], env_id: str | None = None
    ) -> EnvironmentRecord:
        """Check and fetch the sources, then store a new environment (its sandbox comes on first use).

        Raises:
            SourceError: a bad source or a repository that fails to clone (400, naming `sources[i]`).
        """
        spec = dict(spec)
        if env_id is not None and await self.store.environments.get(tenant, env_id) is not None:
            return await self.store.environments.create(tenant, env_id, spec)  # raises: never touch its files
        env_id = env_id or new_environment_id()
        if spec.get("sources"):
            spec["sources"] = await self.sources.prepare(tenant, env_id, spec["sources"])
        try:
            return await self.store.environments.create(tenant, env_id, spec)
        except BaseException:
            await self.sources.release(tenant, env_id)
            raise

    async def sandbox(self, tenant: str, env_id: str) -> str:
        """The id of the environment's running sandbox, creating or resuming it as needed.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        async with self._locks[(tenant, env_id)]:
            record = await self.store.environments.get(tenant, env_id)
            if record is None:
                raise NotFoundError("environment", env_id)
            if record.sandbox_id:
                try:
                    await self.backend.start(record.sandbox_id)  # no-op when running
                    await self.store.environments.touch(tenant, env_id)
                    return record.sandbox_id
                except SandboxNotFoundError:
                    pass  # the container is gone: make a new one below
            return await self._provision(record)

    async def _provision(self, record: EnvironmentRecord) -> str:
        spec = record.spec
        sources = spec.get("sources") or []
        workspace_tar = await self.sources.archive(record.tenant, record.id, sources)
        env = {k: v for k, v in (spec.get("env") or {}).items() if isinstance(v, str)}
        extras = await self.hook.extras(record) if self.hook else SandboxExtras()
        env.update(extras.env)
        skills = (extras.skills or SkillSet()).plus(self.sources.skill_set(record.tenant, record.id, sources))
        skill_mounts = await asyncio.to_thread(self.skills.mounts, record.tenant, record.id, skills)
        sandbox_spec = SandboxSpec(
            environment_id=record.id,
            tenant=record.tenant,
            env=env,
            network="disabled" if spec.get("network", "disabled") == "disabled" else "proxied",
            limits=self.limits,
            mounts=extras.mounts + skill_mounts,
            runtime=self.runtime,
            command=extras.command,
        )
        info = await self.backend.create(sandbox_spec)
        await self.store.environments.update(record.tenant, record.id, EnvironmentUpdate(sandbox_id=info.id))
        try:
            await self.backend.start(info.id)
            if workspace_tar is not None:
                await self.backend.put_archive(info.id, "/workspace", workspace_tar)
        except BaseException:
            await self.backend.destroy(info.id)
            await self.store.environments.update(record.tenant, record.id, EnvironmentUpdate(sandbox_id=None))
            raise
        return info.id

    async def files(self, tenant: str, env_id: str) -> WorkspaceFiles:
        """File operations on the environment's workspace (starting its sandbox if needed)."""
        return WorkspaceFiles(self.backend, await self.sandbox(tenant, env_id))

    async def stop(self, tenant: str, env_id: str) -> None:
        """Stop the sandbox, keeping `/workspace` for the next use."""
        record = await self.store.environments.get(tenant, env_id)
        if record is not None and record.sandbox_id:
            with contextlib.suppress(SandboxNotFoundError):
                await self.backend.stop(record.sandbox_id)

    async def delete(self, tenant: str, env_id: str) -> None:
        """Destroy the sandbox and its workspace, then the row.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        async with self._locks[(tenant, env_id)]:
            record = await self.store.environments.get(tenant, env_id)
            if record is not None and record.sandbox_id:
                await self.backend.destroy(record.sandbox_id)
            await self.store.environments.delete(tenant, env_id)
            await self.sources.release(tenant, env_id)
            if record is not None and self.hook:
                await self.hook.released(record)
        self._locks.pop((tenant, env_id), None)
