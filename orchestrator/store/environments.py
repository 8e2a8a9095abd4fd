"""Environments: one sandbox each, with the state the scheduler keeps beside the wire request.

The calls on the path of every interaction that starts a sandbox (create, get, the hand-over of a
sandbox and its runner token, touch, the token check) are single statements run as plain functions
of a connection (`Database.run_write` / `run_read`): on SQLite they run on the event loop with group
commit, where an `AsyncSession` hops to aiosqlite's thread for every statement and commit (2-9 ms
each on a loaded machine, five of them before a warm-pool sandbox got its environment).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.store.db import Database
from orchestrator.store.environment_spec import EnvironmentSpec
from orchestrator.store.errors import AlreadyExistsError, NotFoundError
from orchestrator.store.models import EnvironmentRow, utcnow
from orchestrator.store.paging import fetch_page
from orchestrator.store.records import Page, Record
from orchestrator.store.tokens import hash_secret, new_secret, secret_matches

__all__ = ["EnvironmentRecord", "EnvironmentRepository", "EnvironmentStatus", "EnvironmentUpdate"]

EnvironmentStatus = Literal["active", "stopped", "expired", "deleted"]
"""`active` and `expired` are on the wire; `stopped` and `deleted` are Warren's own states."""


class EnvironmentRecord(Record):
    """A stored environment. The runner token's hash stays in the store (`check_runner_token`)."""

    tenant: str
    """The owner."""
    id: str
    """The environment id, unique within the tenant."""
    spec: EnvironmentSpec
    """What it was made from: the checked wire request (or inline config)."""
    status: EnvironmentStatus
    """Lifecycle state."""
    sandbox_id: str | None
    """The backend's sandbox (container) id, once one exists."""
    created: datetime
    """When it was created (UTC)."""
    updated: datetime
    """When its row last changed (UTC)."""
    last_accessed: datetime
    """When an interaction or a file call last used it (UTC)."""
    warren_usage: dict[str, Any] | None = None
    """What its sandboxes used, summed over its interactions (`add_usage`)."""


class EnvironmentUpdate(BaseModel):
    """The fields to change; fields left unset keep their value (so `sandbox_id=None` clears it)."""

    model_config = ConfigDict(extra="forbid")

    status: EnvironmentStatus | None = None
    """A new lifecycle state."""
    sandbox_id: str | None = None
    """The sandbox now backing it; set to None explicitly to clear it."""


_TABLE = EnvironmentRow.__table__
_FIELDS = [column for column in _TABLE.c if column.name != "runner_token_hash"]
"""What a record holds: every column but the token's hash, which never leaves the store."""


def _key(tenant: str, id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return _TABLE.c.tenant == tenant, _TABLE.c.id == id


def _record(row: RowMapping) -> EnvironmentRecord:
    return EnvironmentRecord.model_validate(dict(row))


class EnvironmentRepository:
    """Create, read, list, update and delete environments; every call is scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, tenant: str, id: str, spec: EnvironmentSpec, *, status: EnvironmentStatus = "active"
    ) -> EnvironmentRecord:
        """Store a new environment.

        Raises:
            AlreadyExistsError: the tenant already has an environment with this id.
        """
        now = utcnow()
        values: dict[str, Any] = {
            "tenant": tenant,
            "id": id,
            "spec": spec.stored(),
            "status": status,
            "sandbox_id": None,
            "created": now,
            "updated": now,
            "last_accessed": now,
            "warren_usage": None,
        }
        stmt = insert(EnvironmentRow).values(**values, runner_token_hash=None)
        try:
            await self._db.run_write(lambda conn: conn.execute(stmt))
        except IntegrityError as exc:
            raise AlreadyExistsError("environment", id) from exc
        return EnvironmentRecord.model_validate(values)

    async def get(self, tenant: str, id: str) -> EnvironmentRecord | None:
        """The environment, or None when this tenant has none with that id."""
        stmt = select(*_FIELDS).where(*_key(tenant, id))
        row = await self._db.run_read(lambda conn: conn.execute(stmt).mappings().one_or_none())
        return None if row is None else _record(row)

    async def list(
        self,
        tenant: str,
        *,
        status: EnvironmentStatus | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[EnvironmentRecord]:
        """One page of the tenant's environments (optionally of one status), oldest first.

        Raises:
            InvalidPageTokenError: `page_token` is not one this listing issued.
        """
        stmt = select(EnvironmentRow).where(EnvironmentRow.tenant == tenant)
        if status is not None:
            stmt = stmt.where(EnvironmentRow.status == status)
        async with self._db.read() as session:
            rows, token = await fetch_page(
                session,
                stmt,
                EnvironmentRow.created,
                EnvironmentRow.id,
                page_size=page_size,
                page_token=page_token,
            )
            return Page(items=[EnvironmentRecord.model_validate(r) for r in rows], next_page_token=token)

    async def with_running_sandbox(self, tenant: str) -> set[str]:
        """Ids of the tenant's `active` environments that name a sandbox (what its sandbox cap counts)."""
        table = _TABLE.c
        stmt = select(table.id).where(
            table.tenant == tenant, table.status == "active", table.sandbox_id.is_not(None)
        )
        return set(await self._db.run_read(lambda conn: conn.execute(stmt).scalars().all()))

    async def update(self, tenant: str, id: str, change: EnvironmentUpdate) -> EnvironmentRecord:
        """Apply the fields set in `change`.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        values = {**change.model_dump(exclude_unset=True), "updated": utcnow()}
        stmt = update(EnvironmentRow).where(*_key(tenant, id)).values(**values).returning(*_FIELDS)
        row = await self._db.run_write(lambda conn: conn.execute(stmt).mappings().one_or_none())
        if row is None:
            raise NotFoundError("environment", id)
        return _record(row)

    async def add_usage(self, tenant: str, id: str, usage: Mapping[str, Any]) -> None:
        """Add one interaction's sandbox usage to the environment's, in one locked write: figures
        named `peak_*` or `workspace_*` are the latest state (the larger peak), the rest add up.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        async with self._db.write() as session:
            row = await self._locked(session, tenant, id)
            total = dict(row.warren_usage or {})
            for name, value in usage.items():
                if name.startswith("peak_"):
                    total[name] = max(value, total.get(name, 0))
                elif name.startswith("workspace_"):
                    total[name] = value
                else:
                    total[name] = round(total.get(name, 0) + value, 3)
            row.warren_usage = total

    async def touch(self, tenant: str, id: str) -> None:
        """Record that the environment was just used (`last_accessed`).

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        await self._set(tenant, id, last_accessed=utcnow())

    async def issue_runner_token(self, tenant: str, id: str) -> str:
        """Make a new runner token for the environment, store its hash, and return it once.

        Any earlier token stops working.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        token = new_secret()
        await self._set(tenant, id, runner_token_hash=hash_secret(token), updated=utcnow())
        return token

    async def hand_over(self, tenant: str, id: str, sandbox_id: str) -> str:
        """Name `sandbox_id` as the environment's sandbox and issue a new runner token for it, in one
        write (a warm-pool slot's hand-over); returns the token once. Earlier tokens stop working.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        token, now = new_secret(), utcnow()
        await self._set(tenant, id, sandbox_id=sandbox_id, runner_token_hash=hash_secret(token), updated=now)
        return token

    async def check_runner_token(self, tenant: str, id: str, token: str) -> bool:
        """Whether `token` is the environment's current runner token (constant-time compare)."""
        stmt = select(_TABLE.c.runner_token_hash).where(*_key(tenant, id))
        digest = await self._db.run_read(lambda conn: conn.execute(stmt).scalar_one_or_none())
        return digest is not None and secret_matches(token, digest)

    async def delete(self, tenant: str, id: str) -> None:
        """Delete the environment's row (the scheduler destroys the sandbox first).

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        async with self._db.write() as session:
            gone = await session.scalar(
                delete(EnvironmentRow)
                .where(EnvironmentRow.tenant == tenant, EnvironmentRow.id == id)
                .returning(EnvironmentRow.id)
            )
            if gone is None:
                raise NotFoundError("environment", id)

    async def with_sandboxes(self) -> builtins.list[EnvironmentRecord]:
        """Every environment of every tenant that has a sandbox: for the scheduler's start-up reconcile.

        This is the one cross-tenant read; never expose it through a tenant's API.
        """
        stmt = select(EnvironmentRow).where(EnvironmentRow.sandbox_id.is_not(None))
        async with self._db.read() as session:
            rows = (await session.scalars(stmt.order_by(EnvironmentRow.created))).all()
            return [EnvironmentRecord.model_validate(r) for r in rows]

    async def get_across_tenants(self, id: str) -> EnvironmentRecord | None:
        """The environment with this id whatever its tenant, for callers that know only the id.

        The egress proxy and the warm pool learn an environment from its socket or container, which
        name no tenant. Ids are server-made and unique, so two tenants with one id means something
        is wrong: that gives None, like a missing id. Never expose this through a tenant's API.
        """
        stmt = select(*_FIELDS).where(_TABLE.c.id == id).limit(2)
        rows = await self._db.run_read(lambda conn: conn.execute(stmt).mappings().all())
        return _record(rows[0]) if len(rows) == 1 else None

    async def _set(self, tenant: str, id: str, **values: Any) -> None:
        """Set `values` on the environment's row in one statement.

        Raises:
            NotFoundError: no such environment for this tenant.
        """
        stmt = update(EnvironmentRow).where(*_key(tenant, id)).values(**values).returning(_TABLE.c.id)

        def work(conn: Connection) -> str | None:
            return conn.execute(stmt).scalar_one_or_none()

        if await self._db.run_write(work) is None:
            raise NotFoundError("environment", id)

    @staticmethod
    async def _locked(session: AsyncSession, tenant: str, id: str) -> EnvironmentRow:
        row: EnvironmentRow | None = await session.get(EnvironmentRow, (tenant, id), with_for_update=True)
        if row is None:
            raise NotFoundError("environment", id)
        return row
