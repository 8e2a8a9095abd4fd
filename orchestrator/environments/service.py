"""Environments: a stored row plus, once needed, a sandbox with a persistent `/workspace`.

Rows are written before containers are created, so a restart can reconcile them. Sources are
checked (and repositories cloned) when the environment is created, so a bad one fails the create.
The sandbox is created on first use (files, an interaction), seeded from the environment's sources,
its skills mounted at `/skills`, and resumed when it was stopped. A fork (`from_environment`) gets
its sandbox at once, with a copy of the other environment's workspace. With a warm pool, a new
environment takes the id of a started sandbox waiting in the pool, which its first use then gets.

Every change to an environment's sandbox happens under that environment's lock, including the
reconciler's and the idle stopper's, so none of them can undo a sandbox another one just made.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy.engine import make_url

from orchestrator.config import Settings
from orchestrator.environments.files import WorkspaceFiles
from orchestrator.environments.sources import SourceError, Sources
from orchestrator.errors import InvalidArgument, QuotaExceeded
from orchestrator.sandbox import Limits, Mount, SandboxBackend, SandboxNotFoundError, SandboxSpec
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.skills import SkillSet
from orchestrator.store import Store
from orchestrator.store.environments import EnvironmentRecord, EnvironmentUpdate
from orchestrator.store.errors import NotFoundError

if TYPE_CHECKING:
    from orchestrator.environments.pool import WarmPool

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
        self.max_sandboxes = (settings or Settings()).tenant_max_sandboxes
        """Most sandboxes one tenant may have running or being made (`WARREN_TENANT_MAX_SANDBOXES`)."""
        self._starting: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._tenant_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        url = make_url(store.db.url).render_as_string(hide_password=True)
        self.labels = {STORE_LABEL: hashlib.sha256(url.encode()).hexdigest()[:16]}
        """Labels on every sandbox this service makes: which database its row lives in."""
        self.hook: SandboxHook | None = None
        """Adds mounts, variables and a main process to new sandboxes (the runner channel sets it)."""
        self.on_stop: Callable[[str], None] | None = None
        """Called with the environment id once its sandbox stopped (the channel drops the dead runner's
        long polls, so they cannot take the next turn)."""
        self.pool: WarmPool | None = None
        """Started sandboxes handed to new environments (`WARREN_POOL_SIZE`); None makes every one cold."""

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
        pooled = self.pool.reserve(spec) if env_id is None and self.pool is not None else None
        env_id = env_id or pooled or new_environment_id()
        try:
            if spec.get("sources"):
                spec["sources"] = await self.sources.prepare(tenant, env_id, spec["sources"])
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
                    async with self._sandbox_slot(tenant, env_id, needed=record.status == "stopped"):
                        await self._start(record, record.sandbox_id)
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
        """`_make_sandbox` within the tenant's cap on sandboxes (429 past it)."""
        async with self._sandbox_slot(record.tenant, record.id):
            return await self._make_sandbox(record, copy_of)

    # ---- the per-tenant cap on sandboxes (SECURITY-CHECKLIST "Abuse / cost blow-up") -----------

    async def _busy_sandboxes(self, tenant: str) -> set[str]:
        """Environments of `tenant` whose sandbox runs (per the store) or is being made or resumed."""
        busy = {env_id for env_id, count in self._starting[tenant].items() if count}
        token: str | None = None
        while True:
            page = await self.store.environments.list(
                tenant, status="active", page_size=1000, page_token=token
            )
            busy.update(r.id for r in page.items if r.sandbox_id)
            if not (token := page.next_page_token):
                return busy

    def _refuse_past_cap(self, tenant: str, env_id: str | None, busy: set[str]) -> None:
        if len(busy - {env_id}) >= self.max_sandboxes:
            raise QuotaExceeded(
                f"tenant sandbox limit reached: {self.max_sandboxes} sandboxes are running "
                f"(WARREN_TENANT_MAX_SANDBOXES={self.max_sandboxes}); stop or delete an environment first"
            )

    @contextlib.asynccontextmanager
    async def _sandbox_slot(self, tenant: str, env_id: str, *, needed: bool = True) -> AsyncIterator[None]:
        """Hold one of the tenant's places while its sandbox is made or resumed; 429 when none is free."""
        if needed:
            async with self._tenant_locks[tenant]:
                self._refuse_past_cap(tenant, env_id, await self._busy_sandboxes(tenant))
                self._starting[tenant][env_id] += 1
        try:
            yield
        finally:
            if needed:
                self._starting[tenant][env_id] -= 1
                if not self._starting[tenant][env_id]:
                    del self._starting[tenant][env_id]

    async def check_sandbox_quota(self, tenant: str, env_id: str | None = None) -> None:
        """Raise 429 now when using `env_id` (None: a new environment) would need a sandbox past the cap.

        The API's early answer (an interaction's sandbox is made later, in the background); the
        binding check runs again, under the tenant's lock, when the sandbox is made or resumed.
        """
        if env_id is not None:
            record = await self.store.environments.get(tenant, env_id)
            if record is not None and record.sandbox_id and record.status != "stopped":
                return  # it has a running sandbox: nothing new starts
        self._refuse_past_cap(tenant, env_id, await self._busy_sandboxes(tenant))

    async def _make_sandbox(self, record: EnvironmentRecord, copy_of: str | None = None) -> str:
        """Create the environment's sandbox and seed its workspace; started unless it is a copy."""
        spec = record.spec
        sources = [] if copy_of else spec.get("sources") or []
        workspace_tar = await self.sources.archive(record.tenant, record.id, sources)
        env = {k: v for k, v in (spec.get("env") or {}).items() if isinstance(v, str)}
        extras = await self.hook.extras(record) if self.hook else SandboxExtras()
        env.update(extras.env)
        skills = (extras.skills or SkillSet()).plus(self.sources.skill_set(record.tenant, record.id, sources))
        slot = self.pool.take(record.id) if self.pool is not None and copy_of is None else None
        if slot is not None and self.pool is not None:  # its warm-pool sandbox, started and waiting
            return await self.pool.assign(slot, record, env, skills, workspace_tar)
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
            await self._start(record, info.id, new=True)
            if workspace_tar is not None:
                await self.backend.put_archive(info.id, "/workspace", workspace_tar)
        except BaseException:
            await self.backend.destroy(info.id)
            await self.store.environments.update(record.tenant, record.id, EnvironmentUpdate(sandbox_id=None))
            raise
        return info.id

    async def _start(self, record: EnvironmentRecord, sandbox_id: str, *, new: bool = False) -> None:
        """Start (or resume) the sandbox; a runner that will start with it gets one claim first.

        A sandbox that already runs is left alone, whatever the row says: no claim opens (its
        runner holds its token, and a claim open now would be its own code's to take).
        """
        if self.hook is None:
            await self.backend.start(sandbox_id)  # no-op when running
            return
        if not new and await self._runs(record.id, sandbox_id):
            return  # one engine call on the path of every interaction: no `start` on top of it
        await self.hook.starting(record)
        try:
            await self.backend.start(sandbox_id)
        except BaseException:
            await self.hook.not_started(record)
            raise

    async def _runs(self, env_id: str, sandbox_id: str) -> bool:
        present = await self.backend.list({f"{LABEL_PREFIX}environment": env_id})
        return any(info.id == sandbox_id and info.status == "running" for info in present)

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
                if stopped and self.on_stop is not None:
                    self.on_stop(env_id)
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
            if self.pool is not None:
                await self.pool.release(env_id)
        self._locks.pop((tenant, env_id), None)
