"""`Idempotency-Key` records: the same key and body give the same resource; another body gives 409.

Two ways to use it. Simple: `lookup` before the create, `remember` after it. Race-free: `reserve`
before the create (a second request with the key then sees `in_progress` and answers 409),
`complete` after it, and `release` if the create failed so the client may retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from orchestrator.store.db import Database
from orchestrator.store.errors import IdempotencyConflictError, IdempotencyInProgressError, NotFoundError
from orchestrator.store.models import IdempotencyRow, utcnow
from orchestrator.store.records import Record

__all__ = ["IdempotencyKeys", "IdempotencyRecord", "hash_request"]


def hash_request(method: str, path: str, body: Mapping[str, Any] | None) -> str:
    """A stable SHA-256 of a request: the same JSON in any key order hashes the same."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyRecord(Record):
    """What a tenant's key was first used for."""

    tenant: str
    """The tenant that sent the key (keys are scoped per tenant)."""
    key: str
    """The `Idempotency-Key` header value."""
    request_hash: str
    """`hash_request` of the first request."""
    resource_kind: str
    """What it created: `agent`, `environment`, `interaction`…"""
    resource_id: str | None
    """The resource made; None while the first request is still creating it."""
    created: datetime
    """When the key was first seen (UTC)."""

    @property
    def in_progress(self) -> bool:
        """True while the first request has reserved the key and not finished."""
        return self.resource_id is None


class IdempotencyKeys:
    """Remember which resource each tenant's idempotency key produced."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def lookup(self, tenant: str, key: str) -> IdempotencyRecord | None:
        """The record for this tenant's key, or None when the key is new."""
        async with self._db.read() as session:
            row = await session.get(IdempotencyRow, (tenant, key))
            return None if row is None else IdempotencyRecord.model_validate(row)

    async def remember(
        self, tenant: str, key: str, request_hash: str, kind: str, resource_id: str
    ) -> IdempotencyRecord:
        """Record that the key made `resource_id`; if it was already recorded, return the first record.

        Raises:
            IdempotencyConflictError: the key was first used with another body or kind.
        """
        return await self._claim(tenant, key, request_hash, kind, resource_id)

    async def reserve(self, tenant: str, key: str, request_hash: str, kind: str) -> IdempotencyRecord:
        """Claim the key before creating. A new claim comes back `in_progress` and with no resource.

        A record that was already there comes back unchanged when it has the `resource_id` to
        answer with; so a returned record without a resource is always this caller's own claim.

        Raises:
            IdempotencyConflictError: the key was first used with another body or kind.
            IdempotencyInProgressError: another request holds the claim and is still creating.
        """
        return await self._claim(tenant, key, request_hash, kind, None)

    async def complete(self, tenant: str, key: str, resource_id: str) -> IdempotencyRecord:
        """Attach the created resource to a reserved key.

        Raises:
            NotFoundError: the key was never reserved (or was released).
        """
        async with self._db.write() as session:
            row = await session.get(IdempotencyRow, (tenant, key), with_for_update=True)
            if row is None:
                raise NotFoundError("idempotency_key", key)
            row.resource_id = resource_id
            await session.flush()
            return IdempotencyRecord.model_validate(row)

    async def release(self, tenant: str, key: str) -> None:
        """Forget a reservation whose create failed, so a retry with the same key may run."""
        async with self._db.write() as session:
            await session.execute(
                delete(IdempotencyRow).where(
                    IdempotencyRow.tenant == tenant,
                    IdempotencyRow.key == key,
                    IdempotencyRow.resource_id.is_(None),
                )
            )

    async def purge_older_than(self, cutoff: datetime) -> int:
        """Delete keys first seen before `cutoff` (every tenant); return how many went."""
        async with self._db.write() as session:
            gone = await session.scalars(
                delete(IdempotencyRow).where(IdempotencyRow.created < cutoff).returning(IdempotencyRow.key)
            )
            return len(gone.all())

    async def _claim(
        self, tenant: str, key: str, request_hash: str, kind: str, resource_id: str | None
    ) -> IdempotencyRecord:
        for _attempt in range(3):
            row = IdempotencyRow(
                tenant=tenant,
                key=key,
                request_hash=request_hash,
                resource_kind=kind,
                resource_id=resource_id,
                created=utcnow(),
            )
            try:
                async with self._db.write() as session:
                    session.add(row)
                return IdempotencyRecord.model_validate(row)
            except IntegrityError:
                existing = await self.lookup(tenant, key)
            if existing is None:
                continue  # released between our insert and this read: try the insert again
            if existing.request_hash != request_hash or existing.resource_kind != kind:
                raise IdempotencyConflictError(key)
            if resource_id is None and existing.resource_id is None:
                raise IdempotencyInProgressError(key)
            return existing
        raise IdempotencyConflictError(key)
