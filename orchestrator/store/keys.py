"""API keys: shown once as `wk_<prefix>_<secret>`, stored only as a SHA-256 of the whole key.

The 8-character prefix is public (it names the key in listings) and finds the row without a
tenant; the hash comparison is constant-time; revoked keys never authenticate.

Every API request authenticates, so `identify` remembers a live key for `IDENTIFY_CACHE_S`
seconds, by the SHA-256 of the presented key: a repeated request costs a hash and a dict lookup,
not a database read. `revoke` forgets the key in this process at once; another server process
sharing the database may accept a revoked key for up to `IDENTIFY_CACHE_S` seconds.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from orchestrator.store.db import Database
from orchestrator.store.errors import NotFoundError
from orchestrator.store.models import ApiKeyRow, utcnow
from orchestrator.store.records import Record
from orchestrator.store.tokens import hash_secret, new_id, new_secret, secret_matches

__all__ = ["IDENTIFY_CACHE_S", "KEY_SCHEME", "ApiKeyRecord", "ApiKeys"]

IDENTIFY_CACHE_S = 5.0
"""How long, in **seconds**, `identify` trusts a key it has already checked (per process)."""
_CACHE_MAX = 10_000
"""Most keys remembered at once; the cache is emptied when it grows past this."""

KEY_SCHEME = "wk"
"""Every Warren key starts with `wk_`, so secret scanners and humans can recognise one."""
_KEY_SHAPE = re.compile(rf"^{KEY_SCHEME}_([0-9a-f]{{8}})_[A-Za-z0-9_-]{{43}}$")
_LAST_USED_GRANULARITY = timedelta(minutes=1)
"""`last_used` is written at most this often per key, so authentication is mostly a read."""
_DUMMY_DIGEST = hash_secret("no such key")
"""Compared against when the prefix is unknown, so a miss costs as much as a wrong secret."""


class ApiKeyRecord(Record):
    """A stored key, without its hash."""

    id: str
    """Server-made id, `key_` and 32 hex digits; what `revoke` takes."""
    tenant: str
    """The tenant the key acts for."""
    name: str
    """A label chosen by whoever created it."""
    prefix: str
    """The 8 hex characters after `wk_`, safe to show."""
    created: datetime
    """When it was created (UTC)."""
    revoked_at: datetime | None
    """When it was revoked (UTC); a revoked key never authenticates."""
    last_used: datetime | None
    """When it last authenticated (UTC, to the minute)."""


class ApiKeys:
    """Create, authenticate, list and revoke API keys."""

    def __init__(self, db: Database, *, cache_s: float = IDENTIFY_CACHE_S) -> None:
        self._db = db
        self._cache_s = cache_s
        self._cache: dict[str, tuple[float, ApiKeyRecord]] = {}
        """SHA-256 of a live key -> (monotonic expiry, its record)."""
        self._lookups: dict[str, asyncio.Future[ApiKeyRecord | None]] = {}
        """SHA-256 of a key -> its database lookup in progress."""
        self._revocations = 0
        """Revocations so far: a lookup that overlapped one does not fill the cache."""

    async def create_key(self, tenant: str, name: str) -> tuple[ApiKeyRecord, str]:
        """Make a key for `tenant`; return its record and the plaintext, which is never stored or shown again.

        The plaintext looks like `wk_1a2b3c4d_<43 URL-safe characters>`.
        """
        for _attempt in range(5):
            prefix = secrets.token_hex(4)
            plaintext = f"{KEY_SCHEME}_{prefix}_{new_secret()}"
            row = ApiKeyRow(
                id=new_id("key"),
                tenant=tenant,
                name=name,
                prefix=prefix,
                key_hash=hash_secret(plaintext),
                created=utcnow(),
                revoked_at=None,
                last_used=None,
            )
            try:
                async with self._db.write() as session:
                    session.add(row)
            except IntegrityError:
                continue  # 32-bit prefix collision: draw another
            return ApiKeyRecord.model_validate(row), plaintext
        raise RuntimeError("could not draw an unused key prefix")  # pragma: no cover

    async def identify(self, plaintext: str) -> ApiKeyRecord | None:
        """The live key that `plaintext` is, or None (unknown, malformed, wrong secret or revoked)."""
        match = _KEY_SHAPE.match(plaintext)
        if match is None:
            return None
        digest = hash_secret(plaintext)
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        # One lookup per key at a time: when a cached key expires under load, the requests that
        # arrive meanwhile share its lookup instead of each reading the database.
        pending = self._lookups.get(digest)
        if pending is None:
            pending = self._lookups[digest] = asyncio.ensure_future(self._lookup(plaintext, match[1], digest))
            pending.add_done_callback(lambda _done: self._lookups.pop(digest, None))
        return await asyncio.shield(pending)

    async def _lookup(self, plaintext: str, prefix: str, digest: str) -> ApiKeyRecord | None:
        revocations = self._revocations
        stmt = select(*(getattr(ApiKeyRow, name) for name in (*ApiKeyRecord.model_fields, "key_hash")))
        stmt = stmt.where(ApiKeyRow.prefix == prefix)
        row = await self._db.run_read(lambda conn: conn.execute(stmt).mappings().one_or_none())
        record = None if row is None else ApiKeyRecord(**{k: v for k, v in row.items() if k != "key_hash"})
        stored = _DUMMY_DIGEST if row is None else row["key_hash"]
        if not secret_matches(plaintext, stored) or record is None or record.revoked_at is not None:
            self._cache.pop(digest, None)
            return None
        now = utcnow()
        if record.last_used is None or now - record.last_used >= _LAST_USED_GRANULARITY:
            touch = update(ApiKeyRow).where(ApiKeyRow.id == record.id).values(last_used=now)
            await self._db.run_write(lambda conn: conn.execute(touch))
            record = record.model_copy(update={"last_used": now})
        if revocations != self._revocations:  # a key was revoked meanwhile: this read may predate it
            return record
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[digest] = (time.monotonic() + self._cache_s, record)
        return record

    async def authenticate(self, plaintext: str) -> str | None:
        """The tenant `plaintext` acts for, or None when it is not a live key."""
        record = await self.identify(plaintext)
        return None if record is None else record.tenant

    async def list_keys(self, tenant: str) -> list[ApiKeyRecord]:
        """The tenant's keys, revoked ones included, oldest first."""
        stmt = select(ApiKeyRow).where(ApiKeyRow.tenant == tenant).order_by(ApiKeyRow.created, ApiKeyRow.id)
        async with self._db.read() as session:
            return [ApiKeyRecord.model_validate(r) for r in (await session.scalars(stmt)).all()]

    async def revoke(self, tenant: str, key_id: str) -> ApiKeyRecord:
        """Revoke the key at once; revoking it again keeps the first time.

        Raises:
            NotFoundError: no such key for this tenant.
        """
        async with self._db.write() as session:
            row = await session.get(ApiKeyRow, key_id, with_for_update=True)
            if row is None or row.tenant != tenant:
                raise NotFoundError("api_key", key_id)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            await session.flush()
            revoked = ApiKeyRecord.model_validate(row)
        self._revocations += 1
        self._cache = {d: entry for d, entry in self._cache.items() if entry[1].id != key_id}
        return revoked
