"""Environments: a stored row plus, once needed, a sandbox with a persistent `/workspace`.

Rows are written before containers are created, so a restart can reconcile them. Sources are
checked (and repositories cloned) when the environment is created, so a bad one fails the create.
The sandbox is created on first use (files, an interaction), seeded from the environment's sources,
its skills mounted at `/skills`, and resumed when it was stopped. A fork (`from_environment`) gets
its sandbox at once, with a copy of the other environment's workspace.

Every change to an environment's sandbox happens under that environment's lock, including the
reconciler's and the idle stopper's, so none of them can undo a sandbox another one just made.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import make_url

from orchestrator.api.errors import InvalidArgument
from orchestrator.config import Settings
from orchestrator.environments.files import WorkspaceFiles
from orchestrator.environments.sources import SourceError, Sources
from orchestrator.sandbox import Limits, Mount, SandboxBackend, SandboxNotFoundError, SandboxSpec
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.skills import SkillSet
from orchestrator.store import Store
from orchestrator.store.environments import EnvironmentRecord, EnvironmentUpdate
from orchestrator.store.errors import NotFoundError

__all__ = ["STORE_LABEL", "EnvironmentService", "SourceError", "WorkspaceCopier", "new_environment_id"]

STORE_LABEL = f"{LABEL_PREFIX}store"
"""Names the database a sandbox's environment row lives in, so a server reaps only its own sandboxes."""
_FORK_INHERITS = ("mode", "network", "custom_config", "env")
"""Settings a fork takes from its parent unless its request sets them (not `sources`: it has the files)."""


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


@runtime_checkable
class WorkspaceCopier(Protocol):
    """A backend that can copy one sandbox's workspace into another's (`DockerBackend` can)."""

    async def copy_workspace(self, source_id: str, target_id: str, timeout_s: float = 300.0) -> None:
        """Copy the workspace of `source_id` into the (not yet started) sandbox `target_id`."""
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
        url = make_url(store.db.url).render_as_string(hide_password=True)
        self.labels = {STORE_LABEL: hashlib.sha256(url.encode()).hexdigest()[:16]}
        """Labels on every sandbox this service makes: which database its row lives in."""
        self.hook: SandboxHook | None = None
        """Adds mounts, variables and a main process to new sandboxes (the runner channel sets it)."""

    async def create(
        self, tenant: str, spec: Mapping[str, Any], env_id: str | None = None
    ) -> EnvironmentRecord:
        """Check and fetch the sources, then store a new environment (its sandbox comes on first use).

        With `from_environment` in `spec`, the new environment is a fork: see `fork`.

        Raises:
            SourceError: a bad source or a repository that fails to clone (400, naming `sources[i]`).
            NotFoundError: `from_environment` names no environment of this tenant.
        """
        spec = dict(spec)
        if spec.get("from_environment"):
            return await self.fork(tenant, str(spec.pop("from_environment")), spec, env_id)
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

    async def fork(
        self, tenant: str, parent_id: str, spec: Mapping[str, Any], env_id: str | None = None
    ) -> EnvironmentRecord:
        """A new environment whose workspace starts as a copy of `parent_id`'s, then diverges.

        The parent must belong to the same tenant. Its sandbox is made first when it has none
        (so the copy holds its sources); a stopped parent is copied without starting it. The
        fork's sandbox is created (not started) with the copy, under the parent's lock.

        Raises:
            NotFoundError: no environment `parent_id` for this tenant.
            InvalidArgument: the backend cannot copy workspaces.
        """
        parent_id = parent_id.removeprefix("environments/")
        if not isinstance(self.backend, WorkspaceCopier):
            raise InvalidArgument("this sandbox backend cannot copy workspaces", field="from_environment")
        async with self._locks[(tenant, parent_id)]:
            parent = await self.store.environments.get(tenant, parent_id)
            if parent is None:
                raise NotFoundError("environment", parent_id)
            parent_sandbox = await self._existing_sandbox(parent) or await self._provision(parent)
            inherited = {k: parent.spec[k] for k in _FORK_INHERITS if parent.spec.get(k) is not None}
            wanted = {k: v for k, v in spec.items() if v is not None}
            record = await self.store.environments.create(
                tenant, env_id or new_environment_id(), {**inherited, **wanted, "forked_from": parent_id}
            )
            try:
                await self._provision(record, copy_of=parent_sandbox)
            except BaseException:
                await self.store.environments.delete(tenant, record.id)
                raise
        return await self.store.environments.get(tenant, record.id) or record

    async def _existing_sandbox(self, record: EnvironmentRecord) -> str | None:
        if not record.sandbox_id:
            return None
        present = await self.backend.list({f"{LABEL_PREFIX}environment": record.id})
        return record.sandbox_id if any(info.id == record.sandbox_id for info in present) else None

    async def sandbox(self, tenant: str, env_id: str) -> str:
        """The id of the environment's running sandbox, creating or resuming it as needed.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        async with self._locks[(tenant, env_id)]:
            record = await self.store.environments.get(tenant, env_id)
            if record is None:
                raise NotFoundError("environment", env_id)
            sandbox_id = None
            if record.sandbox_id:
                try:
                    await self.backend.start(record.sandbox_id)  # no-op when running
                    sandbox_id = record.sandbox_id
                except SandboxNotFoundError:
                    pass  # the container is gone: make a new one below
            if sandbox_id is None:
                sandbox_id = await self._provision(record)
            if record.status == "stopped":
                await self.store.environments.update(tenant, env_id, EnvironmentUpdate(status="active"))
            await self.store.environments.touch(tenant, env_id)
            return sandbox_id

    async def _provision(self, record: EnvironmentRecord, copy_of: str | None = None) -> str:
        """Create the environment's sandbox and seed its workspace; started unless it is a copy."""
        spec = record.spec
        sources = [] if copy_of else spec.get("sources") or []
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
            labels=self.labels,
        )
        info = await self.backend.create(sandbox_spec)
        await self.store.environments.update(record.tenant, record.id, EnvironmentUpdate(sandbox_id=info.id))
        try:
            if copy_of is not None:
                assert isinstance(self.backend, WorkspaceCopier)
                await self.backend.copy_workspace(copy_of, info.id)
                return info.id
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

    async def stop(self, tenant: str, env_id: str, *, idle_before: datetime | None = None) -> bool:
        """Stop the sandbox, keeping `/workspace` for the next use (`sandbox` resumes it).

        Args:
            idle_before: stop only when the environment was last used before this time (the idle
                stopper's check, made again under the lock so a use that just began wins).

        Returns:
            Whether a sandbox was stopped.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        async with self._locks[(tenant, env_id)]:
            record = await self.store.environments.get(tenant, env_id)
            if record is None:
                raise NotFoundError("environment", env_id)
            if idle_before is not None and (
                record.status == "stopped" or record.last_accessed >= idle_before
            ):
                return False
            stopped = False
            if record.sandbox_id:
                with contextlib.suppress(SandboxNotFoundError):
                    await self.backend.stop(record.sandbox_id)
                    stopped = True
            if record.status != "stopped":
                await self.store.environments.update(tenant, env_id, EnvironmentUpdate(status="stopped"))
            return stopped

    async def forget_sandbox(self, tenant: str, env_id: str, sandbox_id: str) -> bool:
        """Clear the row's `sandbox_id` if it still names `sandbox_id` (a container that is gone).

        Returns whether the row was changed; the next use makes a new sandbox.
        """
        async with self._locks[(tenant, env_id)]:
            record = await self.store.environments.get(tenant, env_id)
            if record is None or record.sandbox_id != sandbox_id:
                return False
            await self.store.environments.update(tenant, env_id, EnvironmentUpdate(sandbox_id=None))
            return True

    async def destroy_stray(self, tenant: str, env_id: str, sandbox_id: str) -> bool:
        """Destroy a sandbox (and its workspace) unless it is the one the environment's row names.

        Returns whether it was destroyed: its environment is gone, or has another sandbox.
        """
        async with self._locks[(tenant, env_id)]:
            record = await self.store.environments.get(tenant, env_id)
            if record is not None and record.sandbox_id == sandbox_id:
                return False
            await self.backend.destroy(sandbox_id)
        if record is None:
            self._locks.pop((tenant, env_id), None)
        return True

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
