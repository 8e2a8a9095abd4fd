"""Environments: a stored row plus, once needed, a sandbox with a persistent `/workspace`.

Rows are written before containers are created, so a restart can reconcile them. The sandbox is
created on first use (files, an interaction), seeded from the environment's sources, and resumed
when it was stopped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from orchestrator.environments.files import WorkspaceFiles, workspace_path
from orchestrator.errors import WarrenError
from orchestrator.sandbox import Limits, Mount, SandboxBackend, SandboxNotFoundError, SandboxSpec
from orchestrator.sandbox.tarsafe import pack_files
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


class SandboxHook(Protocol):
    """Called before an environment's sandbox is created."""

    async def extras(self, record: EnvironmentRecord) -> SandboxExtras:
        """Mounts, environment variables and main process for the new sandbox."""
        ...

    async def released(self, record: EnvironmentRecord) -> None:
        """The environment was deleted: drop what `extras` set up."""
        ...


class SourceError(WarrenError, ValueError):
    """A data source cannot be materialised; the message names the source by index."""


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
    """

    def __init__(
        self,
        store: Store,
        backend: SandboxBackend,
        limits: Limits | None = None,
        runtime: str | None = None,
    ) -> None:
        self.store = store
        self.backend = backend
        self.limits = limits or Limits()
        self.runtime = runtime
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self.hook: SandboxHook | None = None
        """Adds mounts, variables and a main process to new sandboxes (the runner channel sets it)."""

    async def create(
        self, tenant: str, spec: Mapping[str, Any], env_id: str | None = None
    ) -> EnvironmentRecord:
        """Store a new environment (its sandbox comes on first use)."""
        _check_sources(spec.get("sources") or [])
        return await self.store.environments.create(tenant, env_id or new_environment_id(), dict(spec))

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
        env = {k: v for k, v in (spec.get("env") or {}).items() if isinstance(v, str)}
        extras = await self.hook.extras(record) if self.hook else SandboxExtras()
        env.update(extras.env)
        sandbox_spec = SandboxSpec(
            environment_id=record.id,
            tenant=record.tenant,
            env=env,
            network="disabled" if spec.get("network", "disabled") == "disabled" else "proxied",
            limits=self.limits,
            mounts=extras.mounts,
            runtime=self.runtime,
            command=extras.command,
        )
        info = await self.backend.create(sandbox_spec)
        await self.store.environments.update(record.tenant, record.id, EnvironmentUpdate(sandbox_id=info.id))
        try:
            await self.backend.start(info.id)
            files = _inline_files(spec.get("sources") or [])
            if files:
                await self.backend.put_archive(info.id, "/workspace", pack_files(files))
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
            if record is not None and self.hook:
                await self.hook.released(record)
        self._locks.pop((tenant, env_id), None)


def _check_sources(sources: list[Mapping[str, Any]]) -> None:
    for index, source in enumerate(sources):
        kind = source.get("type")
        if kind != "inline":
            raise SourceError(
                f"sources[{index}].type: source type {kind!r} is not supported yet (use 'inline')"
            )
        _source_bytes(index, source)
        try:
            workspace_path(str(source.get("target") or ""))
        except ValueError as exc:
            raise SourceError(f"sources[{index}].target: {exc}") from exc
        if not source.get("target"):
            raise SourceError(f"sources[{index}].target: an inline source needs a target path")


def _source_bytes(index: int, source: Mapping[str, Any]) -> bytes:
    content = str(source.get("content") or "")
    if source.get("encoding") == "base64":
        try:
            return base64.b64decode(content, validate=True)
        except binascii.Error as exc:
            raise SourceError(f"sources[{index}].content: not valid base64") from exc
    return content.encode()


def _inline_files(sources: list[Mapping[str, Any]]) -> dict[str, bytes]:
    return {
        str(workspace_path(str(s["target"])).relative_to("/workspace")): _source_bytes(i, s)
        for i, s in enumerate(sources)
        if s.get("type") == "inline"
    }
