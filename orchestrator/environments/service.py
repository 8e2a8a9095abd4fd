"""Environments: a stored row plus, once needed, a sandbox with a persistent `/workspace`.

Rows are written before containers are created, so a restart can reconcile them. Sources are
checked (and repositories cloned) when the environment is created, so a bad one fails the create.
The sandbox is created on first use (files, an interaction), seeded from the environment's sources,
its skills mounted at `/skills`, and resumed when it was stopped. A fork (`from_environment`) gets
its sandbox at once, with a copy of the other environment's workspace. With a warm pool, a new
environment takes the id of a started sandbox waiting in the pool, which its first use then gets.

Every change to an environment's sandbox happens under that environment's lock, including the
reconciler's and the idle stopper's, so none of them can undo a sandbox another one just made; on
PostgreSQL the lock also holds across replicas (`store/environment_locks.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

from orchestrator.environments.files import WorkspaceFiles
from orchestrator.environments.ports import SandboxHook, WorkspaceCopier
from orchestrator.environments.provisioning import Provisioner
from orchestrator.environments.sandbox_cap import SandboxCap
from orchestrator.environments.site import SandboxSite, new_environment_id
from orchestrator.environments.sources import Sources
from orchestrator.errors import InvalidArgument
from orchestrator.observability.logs import ENVIRONMENT_ID
from orchestrator.observability.tracing import TRACER
from orchestrator.sandbox import SandboxBackend, SandboxNotFoundError
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.skills import SkillStore
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from orchestrator.store.environments import EnvironmentRecord, EnvironmentUpdate
from orchestrator.store.errors import NotFoundError

if TYPE_CHECKING:
    from orchestrator.environments.pool import WarmPool

__all__ = ["EnvironmentService"]

_FORK_INHERITS = ("mode", "network", "custom_config", "env")
"""Settings a fork takes from its parent unless its request sets them (not `sources`: it has the files)."""


class EnvironmentService:
    """Creates environments and gives each one a running sandbox on demand.

    Args:
        store: the database.
        site: the backend, limits, runtime and labels of every sandbox.
        sources: checks, fetches and materialises data sources (and knows the skills).
        max_sandboxes: most sandboxes one tenant may have running or being made.
        hook: the runner side: mounts, variables and main process of new sandboxes, and their starts.
        pool: started sandboxes handed to new environments (`WARREN_POOL_SIZE`); None makes every one cold.
    """

    def __init__(
        self,
        store: Store,
        site: SandboxSite,
        sources: Sources,
        *,
        max_sandboxes: int,
        hook: SandboxHook | None = None,
        pool: WarmPool | None = None,
    ) -> None:
        self.store = store
        self.site = site
        self.sources = sources
        self.hook = hook
        self.pool = pool
        self.cap = SandboxCap(store, max_sandboxes)
        self._provisioner = Provisioner(store, site, sources, hook, pool)
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    @contextlib.asynccontextmanager
    async def _locked(self, tenant: str, env_id: str) -> AsyncIterator[None]:
        """The environment's lock: this process's first, then (PostgreSQL) the other replicas'."""
        async with self._locks[(tenant, env_id)]:
            shared = self.store.environment_locks
            if shared is None:
                yield
                return
            async with shared.hold(tenant, env_id):
                yield

    @property
    def backend(self) -> SandboxBackend:
        """Where this service's sandboxes run."""
        return self.site.backend

    @property
    def labels(self) -> dict[str, str]:
        """Labels on every sandbox this service makes: which database its row lives in."""
        return self.site.labels

    @property
    def skills(self) -> SkillStore:
        """Uploaded and bundled skills, and the mounts that show them."""
        return self.sources.skills

    async def create(
        self,
        tenant: str,
        spec: EnvironmentSpec,
        *,
        from_environment: str | None = None,
        env_id: str | None = None,
    ) -> EnvironmentRecord:
        """Check and fetch the sources, then store a new environment (its sandbox comes on first use).

        With `from_environment`, the new environment is a fork: see `fork`.

        Raises:
            SourceError: a bad source or a repository that fails to clone (400, naming `sources[i]`).
            NotFoundError: `from_environment` names no environment of this tenant.
        """
        if from_environment:
            return await self.fork(tenant, from_environment, spec, env_id)
        if env_id is not None and await self.store.environments.get(tenant, env_id) is not None:
            return await self.store.environments.create(tenant, env_id, spec)  # raises: never touch its files
        pooled = self.pool.reserve() if env_id is None and self.pool is not None else None
        env_id = env_id or pooled or new_environment_id()
        try:
            if spec.sources:
                prepared = await self.sources.prepare(tenant, env_id, spec.sources)
                spec = spec.model_copy(update={"sources": prepared})
            try:
                return await self.store.environments.create(tenant, env_id, spec)
            except BaseException:
                await self.sources.release(tenant, env_id)
                raise
        except BaseException:
            if pooled is not None and self.pool is not None:
                await self.pool.release(pooled)
            raise

    async def fork(
        self, tenant: str, parent_id: str, spec: EnvironmentSpec, env_id: str | None = None
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
        async with self._locked(tenant, parent_id):
            parent = await self.store.environments.get(tenant, parent_id)
            if parent is None:
                raise NotFoundError("environment", parent_id)
            parent_sandbox = await self._existing_sandbox(parent) or await self._provision(parent)
            inherited = parent.spec.model_dump(include=set(_FORK_INHERITS), exclude_none=True)
            wanted = spec.model_dump(exclude_none=True)
            forked = EnvironmentSpec(**{**inherited, **wanted, "forked_from": parent_id})
            record = await self.store.environments.create(tenant, env_id or new_environment_id(), forked)
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
        ENVIRONMENT_ID.set(env_id)  # the caller's task logs with the id from here on
        with TRACER.start_as_current_span("environment", attributes={"warren.environment_id": env_id}):
            return await self._sandbox(tenant, env_id)

    async def _sandbox(self, tenant: str, env_id: str) -> str:
        async with self._locked(tenant, env_id):
            record = await self.store.environments.get(tenant, env_id)
            if record is None:
                raise NotFoundError("environment", env_id)
            sandbox_id = None
            if record.sandbox_id:
                try:
                    async with self.cap.slot(tenant, env_id, needed=record.status == "stopped"):
                        await self._provisioner.start(record, record.sandbox_id)
                        if record.status == "stopped":  # counted as running before the slot goes
                            await self.store.environments.update(
                                tenant, env_id, EnvironmentUpdate(status="active")
                            )
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
        """Make the sandbox within the tenant's cap on sandboxes (429 past it)."""
        async with self.cap.slot(record.tenant, record.id):
            return await self._provisioner.make(record, copy_of)

    async def check_sandbox_quota(self, tenant: str, env_id: str | None = None) -> None:
        """Raise 429 now when using `env_id` (None: a new environment) would need a sandbox past the cap."""
        await self.cap.check(tenant, env_id)

    async def files(self, tenant: str, env_id: str) -> WorkspaceFiles:
        """File operations on the environment's workspace (starting its sandbox if needed)."""
        return WorkspaceFiles(self.backend, await self.sandbox(tenant, env_id))

    async def stop(
        self, tenant: str, env_id: str, *, idle_before: datetime | None = None, keep_memory: bool = False
    ) -> bool:
        """Stop the sandbox, keeping `/workspace` for the next use (`sandbox` resumes it).

        Args:
            idle_before: stop only when the environment was last used before this time (the idle
                stopper's check, made again under the lock so a use that just began wins).
            keep_memory: pause it with its processes and memory where the backend can (gVisor with
                the engine's checkpoints), so the next use finds them running; else stop it.

        Returns:
            Whether a sandbox was stopped.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        async with self._locked(tenant, env_id):
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
                    if not (keep_memory and await self._provisioner.pause(env_id, record.sandbox_id)):
                        await self.backend.stop(record.sandbox_id)
                    stopped = True
                if stopped and self.hook is not None:
                    self.hook.stopped(env_id)
            if record.status != "stopped":
                await self.store.environments.update(tenant, env_id, EnvironmentUpdate(status="stopped"))
            return stopped

    async def running(self, tenant: str, env_id: str) -> bool:
        """Whether the environment's sandbox exists and runs (at start-up: may its runner resume?)."""
        record = await self.store.environments.get(tenant, env_id)
        if record is None or not record.sandbox_id:
            return False
        mine = await self.backend.list(self.labels)
        return any(info.id == record.sandbox_id and info.status == "running" for info in mine)

    async def forget_sandbox(self, tenant: str, env_id: str, sandbox_id: str) -> bool:
        """Clear the row's `sandbox_id` if it still names `sandbox_id` (a container that is gone).

        Returns whether the row was changed; the next use makes a new sandbox.
        """
        async with self._locked(tenant, env_id):
            record = await self.store.environments.get(tenant, env_id)
            if record is None or record.sandbox_id != sandbox_id:
                return False
            await self.store.environments.update(tenant, env_id, EnvironmentUpdate(sandbox_id=None))
            return True

    async def destroy_stray(self, tenant: str, env_id: str, sandbox_id: str) -> bool:
        """Destroy a sandbox (and its workspace) unless it is the one the environment's row names.

        Returns whether it was destroyed: its environment is gone, or has another sandbox.
        """
        async with self._locked(tenant, env_id):
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
        async with self._locked(tenant, env_id):
            record = await self.store.environments.get(tenant, env_id)
            if record is not None and record.sandbox_id:
                await self.backend.destroy(record.sandbox_id)
            await self.store.environments.delete(tenant, env_id)
            await self.sources.release(tenant, env_id)
            if record is not None and self.hook:
                await self.hook.released(record)
            if self.pool is not None:
                await self.pool.release(env_id)
        self._locks.pop((tenant, env_id), None)
