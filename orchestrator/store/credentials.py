"""Credentials: secrets the egress proxy injects for allowlisted domains; never read back by clients.

The metadata (`CredentialRecord`) is what the API shows. The secret comes out only through
`secret()`, which the egress proxy calls when it adds a header to a sandbox's request; the sandbox
itself never sees it. At rest the secret is sealed (`orchestrator.store.sealing`: AES-GCM under a
key kept outside the database, bound to the row's tenant and id); rows written before sealing
existed are read as they are and sealed by `seal_unsealed()` at the server's start.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from orchestrator.errors import InvalidArgument
from orchestrator.store.db import Database
from orchestrator.store.errors import AlreadyExistsError, NotFoundError
from orchestrator.store.models import CredentialRow, utcnow
from orchestrator.store.paging import fetch_page
from orchestrator.store.records import Page, Record
from orchestrator.store.sealing import Sealer

__all__ = ["CredentialRecord", "CredentialRepository", "CredentialSecret", "CredentialType"]

CredentialType = Literal["bearer_token", "environment_variable", "oauth2"]
"""The kinds of credential Warren stores (`oauth2`: the secret is the client secret and refresh token)."""


class CredentialRecord(Record):
    """A stored credential without its secret."""

    tenant: str
    """The owner."""
    id: str
    """The credential id, unique within the tenant."""
    type: CredentialType
    """How the secret is used."""
    config: dict[str, Any]
    """The non-secret settings: `header_name`, `prefix`, `injection_location`, `trusted_domains`."""
    created: datetime
    """When it was created (UTC)."""
    updated: datetime
    """When it last changed (UTC)."""


class CredentialSecret(CredentialRecord):
    """A credential with its secret: only the egress proxy asks for this."""

    secret: str
    """The token or value."""

    def header(self) -> tuple[str, str]:
        """The header a `bearer_token` credential adds by default: `Authorization: Bearer <token>`."""
        name = str(self.config.get("header_name") or "Authorization")
        prefix = self.config.get("prefix")
        prefix = "Bearer" if prefix is None and self.type == "bearer_token" else (prefix or "")
        return name, f"{prefix} {self.secret}" if prefix else self.secret


class CredentialRepository:
    """Create, read, list and delete credentials; every call is scoped to one tenant.

    Args:
        db: the database.
        sealer: seals secrets before they are stored and opens them for `secret()`.
    """

    def __init__(self, db: Database, sealer: Sealer) -> None:
        self._db = db
        self._sealer = sealer

    async def create(
        self, tenant: str, id: str, type: CredentialType, secret: str, config: dict[str, Any]
    ) -> CredentialRecord:
        """Store a new credential.

        Raises:
            AlreadyExistsError: the tenant already has a credential with this id.
        """
        now = utcnow()
        row = CredentialRow(
            tenant=tenant,
            id=id,
            type=type,
            config=config,
            secret=self._sealer.seal(secret, context=(tenant, id)),
            sealed=True,
            created=now,
            updated=now,
        )
        try:
            async with self._db.write() as session:
                session.add(row)
        except IntegrityError as exc:
            raise AlreadyExistsError("credential", id) from exc
        return CredentialRecord.model_validate(row)

    async def update(
        self, tenant: str, id: str, type: CredentialType, secret: str | None, config: dict[str, Any]
    ) -> CredentialRecord:
        """Change a credential: `config` keys replace the stored ones (a None value removes one), and
        `secret`, when given, replaces the secret (sealed anew).

        Raises:
            NotFoundError: no such credential for this tenant.
            InvalidArgument: `type` is not the stored credential's type.
        """
        async with self._db.write() as session:
            row = await session.get(CredentialRow, (tenant, id))
            if row is None:
                raise NotFoundError("credential", id)
            if row.type != type:
                raise InvalidArgument(f"credential {id!r} is a {row.type}, not a {type}", field="type")
            merged = {**row.config, **config}
            row.config = {k: v for k, v in merged.items() if v is not None}
            if secret is not None:
                row.secret, row.sealed = self._sealer.seal(secret, context=(tenant, id)), True
            row.updated = utcnow()
            await session.flush()
            return CredentialRecord.model_validate(row)

    async def get(self, tenant: str, id: str) -> CredentialRecord | None:
        """The credential's metadata, or None when this tenant has none with that id."""
        async with self._db.read() as session:
            row = await session.get(CredentialRow, (tenant, id))
            return None if row is None else CredentialRecord.model_validate(row)

    async def secret(self, tenant: str, id: str) -> CredentialSecret | None:
        """The credential with its secret opened (for the egress proxy), or None.

        Raises:
            SealError: the stored secret does not open with this server's key.
        """
        async with self._db.read() as session:
            row = await session.get(CredentialRow, (tenant, id))
            if row is None:
                return None
            record = CredentialRecord.model_validate(row)
            stored, sealed = row.secret, row.sealed
        plain = self._sealer.open(stored, context=(tenant, id)) if sealed else stored
        return CredentialSecret(**record.model_dump(), secret=plain)

    async def seal_unsealed(self) -> int:
        """Seal every secret still stored in plain text (rows from before sealing); how many.

        On SQLite the old plain text must not linger in the file either: the rewrite runs with
        `secure_delete` (freed cell space is zeroed), then the file is vacuumed (free pages from
        earlier deletes go) and the WAL checkpointed and truncated (its stale frames go).
        """
        sqlite = self._db.dialect == "sqlite"
        async with self._db.write() as session:
            if sqlite:
                await session.execute(text("PRAGMA secure_delete=ON"))
            rows = (await session.scalars(select(CredentialRow).where(CredentialRow.sealed.is_(False)))).all()
            for row in rows:
                row.secret = self._sealer.seal(row.secret, context=(row.tenant, row.id))
                row.sealed = True
        if rows and sqlite:
            async with self._db.engine.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection  # aiosqlite, autocommit
                assert driver is not None
                await driver.execute("VACUUM")
                await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(rows)

    async def list(
        self, tenant: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[CredentialRecord]:
        """One page of the tenant's credentials, oldest first.

        Raises:
            InvalidPageTokenError: `page_token` is not one this listing issued.
        """
        stmt = select(CredentialRow).where(CredentialRow.tenant == tenant)
        async with self._db.read() as session:
            rows, token = await fetch_page(
                session,
                stmt,
                CredentialRow.created,
                CredentialRow.id,
                page_size=page_size,
                page_token=page_token,
            )
            items: builtins.list[CredentialRecord] = [CredentialRecord.model_validate(r) for r in rows]
            return Page(items=items, next_page_token=token)

    async def delete(self, tenant: str, id: str) -> None:
        """Delete the credential.

        Raises:
            NotFoundError: no such credential for this tenant.
        """
        async with self._db.write() as session:
            gone = await session.scalar(
                delete(CredentialRow)
                .where(CredentialRow.tenant == tenant, CredentialRow.id == id)
                .returning(CredentialRow.id)
            )
            if gone is None:
                raise NotFoundError("credential", id)
