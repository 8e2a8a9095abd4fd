"""Making, starting and pausing one environment's sandbox: seeded from its sources, its skills
mounted, its runner given one claim before each start. Callers hold the environment's lock (and, to
make or start one, a `SandboxCap` slot).

A sandbox paused with its memory (`pause`, for idle ones where the backend can) is started from
that pause: its runner carries on with the credential it holds, so no claim opens (one left open
could be taken by the code the model ran, which resumes with it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from orchestrator.environments.ports import MemoryPauser, SandboxExtras, SandboxHook, WorkspaceCopier
from orchestrator.environments.site import SandboxSite
from orchestrator.environments.sources import Sources
from orchestrator.observability.metrics import provisioning
from orchestrator.sandbox import SandboxSpec
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.skills import SkillSet
from orchestrator.store import Store
from orchestrator.store.environments import EnvironmentRecord, EnvironmentUpdate

if TYPE_CHECKING:
    from orchestrator.environments.pool import WarmPool

__all__ = ["Provisioner"]

log = logging.getLogger("orchestrator.environments.provisioning")


class Provisioner:
    """Creates (or takes from the warm pool) and starts environments' sandboxes."""

    def __init__(
        self,
        store: Store,
        site: SandboxSite,
        sources: Sources,
        hook: SandboxHook | None,
        pool: WarmPool | None,
    ) -> None:
        self.store = store
        self.site = site
        self.sources = sources
        self.hook = hook
        self.pool = pool

    async def make(self, record: EnvironmentRecord, copy_of: str | None = None) -> str:
        """Create the environment's sandbox and seed its workspace; started unless it is a copy."""
        spec = record.spec
        sources = [] if copy_of else spec.sources or []
        workspace_tar = await self.sources.archive(record.tenant, record.id, sources)
        env = spec.variables
        extras = await self.hook.extras(record) if self.hook else SandboxExtras()
        env.update(extras.env)
        skills = (extras.skills or SkillSet()).plus(self.sources.skill_set(record.tenant, record.id, sources))
        slot = self.pool.take(record.id) if self.pool is not None and copy_of is None else None
        if slot is not None and self.pool is not None:  # its warm-pool sandbox, started and waiting
            with provisioning("warm"):
                return await self.pool.assign(slot, record, env, skills, workspace_tar)
        with provisioning("cold"):
            return await self._cold(record, copy_of, env, skills, workspace_tar, extras)

    async def _cold(
        self,
        record: EnvironmentRecord,
        copy_of: str | None,
        env: dict[str, str],
        skills: SkillSet,
        workspace_tar: bytes | None,
        extras: SandboxExtras,
    ) -> str:
        spec = record.spec
        mounts = await asyncio.to_thread(self.sources.skills.mounts, record.tenant, record.id, skills)
        sandbox_spec = SandboxSpec(
            environment_id=record.id,
            tenant=record.tenant,
            env=env,
            network="disabled" if spec.egress_allowlist is None else "proxied",
            limits=self.site.limits,
            mounts=extras.mounts + mounts,
            runtime=self.site.runtime,
            command=extras.command,
            labels=self.site.labels,
        )
        backend = self.site.backend
        info = await backend.create(sandbox_spec)
        await self.store.environments.update(record.tenant, record.id, EnvironmentUpdate(sandbox_id=info.id))
        try:
            if copy_of is not None:
                assert isinstance(backend, WorkspaceCopier)
                await backend.copy_workspace(copy_of, info.id)
                return info.id
            await self.start(record, info.id, new=True)
            if workspace_tar is not None:
                await backend.put_archive(info.id, "/workspace", workspace_tar)
        except BaseException:
            await backend.destroy(info.id)
            await self.store.environments.update(record.tenant, record.id, EnvironmentUpdate(sandbox_id=None))
            raise
        return info.id

    async def start(self, record: EnvironmentRecord, sandbox_id: str, *, new: bool = False) -> None:
        """Start (or resume) the sandbox; a runner that will start with it gets one claim first.

        A sandbox that already runs is left alone, whatever the row says: no claim opens (its
        runner holds its token, and a claim open now would be its own code's to take).
        """
        if self.hook is None:
            await self.site.backend.start(sandbox_id)  # no-op when running
            return
        if not new and await self._runs(record.id, sandbox_id):
            return  # one engine call on the path of every interaction: no `start` on top of it
        backend = self.site.backend
        if not new and isinstance(backend, MemoryPauser) and await backend.resume(sandbox_id):
            return
        await self.hook.starting(record)
        try:
            await self.site.backend.start(sandbox_id)
        except BaseException:
            await self.hook.not_started(record)
            raise

    async def pause(self, env_id: str, sandbox_id: str) -> bool:
        """Pause the idle sandbox with its processes and memory; False when the backend cannot, or the
        runner did not let go of the channel in time, or the checkpoint failed (then stop it)."""
        backend = self.site.backend
        if (
            self.hook is None
            or not isinstance(backend, MemoryPauser)
            or not await backend.can_pause(sandbox_id)
        ):
            return False
        if not await self.hook.parking(env_id):
            log.info("environment %s: the runner kept the channel open; stopping its sandbox instead", env_id)
            return False
        return await backend.pause(sandbox_id)

    async def _runs(self, env_id: str, sandbox_id: str) -> bool:
        present = await self.site.backend.list({f"{LABEL_PREFIX}environment": env_id})
        return any(info.id == sandbox_id and info.status == "running" for info in present)
