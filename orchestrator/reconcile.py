"""Crash recovery: make containers and rows agree again (the interactions a dead process left are
ended by `interactions/ending.py`).

Rows are written before containers are created, so after a crash the store is the truth:

- a container whose environment row is gone (or names another container) is destroyed with its
  workspace volume, once it is older than a grace period (it may be a sandbox being created);
  a warm-pool container is matched to its row by container id (its labels name no tenant), and one
  no row names is reaped the same way unless the live pool holds it (a dead process's slots);
- a row that names a container that no longer exists forgets it (the next use makes a new one).

The interactions a dead process left running are ended by `interactions/ending.py`, which renders
their snapshot; this module touches sandboxes and environment rows only.

Only sandboxes labelled with this server's store (`STORE_LABEL`) are considered, so two servers
(or two test runs) on one engine never reap each other's. Replicas on one store share that label;
a pool slot another live replica made is left to it (`environments/owners.py`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from orchestrator.environments.owners import Liveness, kept_by_another
from orchestrator.environments.service import EnvironmentService
from orchestrator.sandbox.backend import LABEL_PREFIX, SandboxError, SandboxInfo
from orchestrator.store import Store

__all__ = ["ReconcileReport", "Reconciler"]

log = logging.getLogger("orchestrator.reconcile")

_CREATED = f"{LABEL_PREFIX}created"
_POOL = f"{LABEL_PREFIX}pool"


@runtime_checkable
class VolumeReaper(Protocol):
    """A backend that can remove workspace volumes no sandbox uses (`DockerBackend` can)."""

    async def reap_volumes(self, labels: dict[str, str], older_than_s: float) -> int:
        """Remove unused workspace volumes older than `older_than_s` seconds; returns how many."""
        ...


@dataclass
class ReconcileReport:
    """What one reconcile pass changed."""

    destroyed: int = 0
    """Containers destroyed because no row claims them."""
    forgotten: int = 0
    """Rows whose vanished container was cleared."""
    volumes: int = 0
    """Unused workspace volumes removed."""


class Reconciler:
    """Reconciles an `EnvironmentService`'s sandboxes with the store.

    Args:
        store: the database.
        environments: the service whose locks guard every sandbox change.
        grace_s: a container or volume younger than this (**seconds**) is never reaped.
        replica: with replicas, whose pool slots are whose.
    """

    def __init__(
        self,
        store: Store,
        environments: EnvironmentService,
        grace_s: float = 120.0,
        replica: Liveness | None = None,
    ) -> None:
        self.store = store
        self.replica = replica
        self.environments = environments
        self.grace_s = grace_s

    async def reap(self) -> ReconcileReport:
        """Destroy unclaimed containers past the grace period and forget vanished ones (periodic)."""
        report = ReconcileReport()
        backend = self.environments.backend
        rows = await self.store.environments.with_sandboxes()  # read before listing: see below
        everything = await backend.list()
        present = {info.id for info in everything}
        ours = self.environments.labels.items()
        containers = [info for info in everything if ours <= info.labels.items()]
        claimed = {(row.tenant, row.id): row.sandbox_id for row in rows}
        cutoff = time.time() - self.grace_s
        claimed_ids = {row.sandbox_id for row in rows}
        live = set() if self.replica is None else await self.replica.live()
        for info in containers:
            if _POOL in info.labels:  # matched to its row by container id: its labels name no tenant
                if self.replica is not None and kept_by_another(info, self.replica.id, live):
                    continue  # a live replica's slot: its pool holds it
                tenant = await self._pooled_stray(info, claimed_ids, cutoff)
                if tenant is None:
                    continue
            elif self._reapable(info, cutoff) and claimed.get((info.tenant, info.environment_id)) != info.id:
                tenant = info.tenant
            else:
                continue
            try:
                if await self.environments.destroy_stray(tenant, info.environment_id, info.id):
                    report.destroyed += 1
            except SandboxError as exc:
                log.warning("could not destroy stray sandbox %s: %s", info.id, exc)
        # A row read before the listing names a container created before it: if the listing lacks
        # it, it is gone (and `forget_sandbox` re-checks the row under the environment's lock).
        for row in rows:
            gone = row.sandbox_id is not None and row.sandbox_id not in present
            if gone and await self.environments.forget_sandbox(row.tenant, row.id, str(row.sandbox_id)):
                report.forgotten += 1
        if isinstance(backend, VolumeReaper):
            report.volumes = await backend.reap_volumes(self.environments.labels, self.grace_s)
        if report.destroyed or report.forgotten or report.volumes:
            log.info("reconciled sandboxes: %s", report)
        return report

    async def _pooled_stray(self, info: SandboxInfo, claimed: set[str | None], cutoff: float) -> str | None:
        """The tenant to lock for a warm-pool container no row names, past the grace period; else None.

        Skips the live pool's own slots (ready, or reserved by an environment not used yet).
        `destroy_stray` re-checks the row under the environment's lock, where slots are assigned.
        """
        pool = self.environments.pool
        created = info.labels.get(_CREATED)
        if info.id in claimed or (pool is not None and pool.holds(info.id, info.labels)):
            return None
        if created is None or float(created) > cutoff or not info.environment_id:
            return None
        record = await self.store.environments.get_across_tenants(info.environment_id)
        return "" if record is None else record.tenant

    @staticmethod
    def _reapable(info: SandboxInfo, cutoff: float) -> bool:
        if not info.environment_id or not info.tenant or _POOL in info.labels:
            return False  # warm-pool sandboxes belong to no environment yet
        created = info.labels.get(_CREATED)
        return created is not None and float(created) <= cutoff
