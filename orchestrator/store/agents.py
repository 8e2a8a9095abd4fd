"""Agents: reusable definitions, stored per tenant as the wire Agent object."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from orchestrator.store.db import Database
from orchestrator.store.errors import AlreadyExistsError, NotFoundError
from orchestrator.store.models import AgentRow, utcnow
from orchestrator.store.paging import fetch_page
from orchestrator.store.records import Page, Record

__all__ = ["AgentRecord", "AgentRepository"]


class AgentRecord(Record):
    """A stored agent."""

    tenant: str
    """The owner."""
    id: str
    """The agent id, unique within the tenant."""
    spec: dict[str, Any]
    """The wire Agent object as the client last wrote it."""
    created: datetime
    """When it was created (UTC)."""
    updated: datetime
    """When `spec` last changed (UTC)."""


class AgentRepository:
    """Create, read, list, update and delete agents; every call is scoped to one tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, tenant: str, id: str, spec: dict[str, Any]) -> AgentRecord:
        """Store a new agent.

        Raises:
            AlreadyExistsError: the tenant already has an agent with this id.
        """
        now = utcnow()
        row = AgentRow(tenant=tenant, id=id, spec=spec, created=now, updated=now)
        try:
            async with self._db.write() as session:
                session.add(row)
        except IntegrityError as exc:
            raise AlreadyExistsError("agent", id) from exc
        return AgentRecord.model_validate(row)

    async def get(self, tenant: str, id: str) -> AgentRecord | None:
        """The agent, or None when this tenant has none with that id."""
        async with self._db.read() as session:
            row = await session.get(AgentRow, (tenant, id))
            return None if row is None else AgentRecord.model_validate(row)

    async def list(
        self, tenant: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[AgentRecord]:
        """One page of the tenant's agents, oldest first.

        Raises:
            InvalidPageTokenError: `page_token` is not one this listing issued.
        """
        stmt = select(AgentRow).where(AgentRow.tenant == tenant)
        async with self._db.read() as session:
            rows, token = await fetch_page(
                session, stmt, AgentRow.created, AgentRow.id, page_size=page_size, page_token=page_token
            )
            return Page(items=[AgentRecord.model_validate(r) for r in rows], next_page_token=token)

    async def update(self, tenant: str, id: str, spec: dict[str, Any]) -> AgentRecord:
        """Replace the agent's `spec`.

        Raises:
            NotFoundError: no such agent for this tenant.
        """
        async with self._db.write() as session:
            row = await session.get(AgentRow, (tenant, id), with_for_update=True)
            if row is None:
                raise NotFoundError("agent", id)
            row.spec = spec
            row.updated = utcnow()
            await session.flush()
            return AgentRecord.model_validate(row)

    async def delete(self, tenant: str, id: str) -> None:
        """Delete the agent.

        Raises:
            NotFoundError: no such agent for this tenant.
        """
        async with self._db.write() as session:
            gone = await session.scalar(
                delete(AgentRow).where(AgentRow.tenant == tenant, AgentRow.id == id).returning(AgentRow.id)
            )
            if gone is None:
                raise NotFoundError("agent", id)
