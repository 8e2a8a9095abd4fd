"""API keys: shown once, stored only hashed, authenticated in constant time, revocable.

SECURITY-CHECKLIST.md, "Stolen API key DB": the database holds no plaintext; a revoked key fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import make_url, select

from orchestrator.store import Database, Store
from orchestrator.store.models import ApiKeyRow
from orchestrator.store.tokens import hash_secret


async def test_create_authenticate_revoke(store: Store) -> None:
    record, plaintext = await store.keys.create_key("t1", "ci")
    assert re.fullmatch(r"wk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", plaintext)
    assert plaintext[3:11] == record.prefix
    assert (record.tenant, record.name, record.revoked_at, record.last_used) == ("t1", "ci", None, None)

    assert await store.keys.authenticate(plaintext) == "t1"
    identified = await store.keys.identify(plaintext)
    assert identified is not None and identified.id == record.id and identified.last_used is not None

    revoked = await store.keys.revoke("t1", record.id)
    assert revoked.revoked_at is not None
    assert await store.keys.authenticate(plaintext) is None
    again = await store.keys.revoke("t1", record.id)
    assert again.revoked_at == revoked.revoked_at, "revoking twice keeps the first time"


async def test_wrong_or_malformed_keys_fail(store: Store) -> None:
    _, plaintext = await store.keys.create_key("t1", "ci")
    wrong_secret = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    unknown_prefix = "wk_00000000" + plaintext[11:]
    for candidate in (wrong_secret, unknown_prefix, "", "wk_", plaintext + "x", "Bearer " + plaintext):
        assert await store.keys.authenticate(candidate) is None, candidate


async def test_list_keys(store: Store) -> None:
    first, _ = await store.keys.create_key("t1", "one")
    second, _ = await store.keys.create_key("t1", "two")
    await store.keys.create_key("t2", "theirs")
    await store.keys.revoke("t1", first.id)
    listed = await store.keys.list_keys("t1")
    assert [k.id for k in listed] == [first.id, second.id]
    assert listed[0].revoked_at is not None and listed[1].revoked_at is None
    assert "key_hash" not in type(listed[0]).model_fields


async def test_database_holds_no_plaintext_key(store: Store, db: Database) -> None:
    plaintexts = [(await store.keys.create_key("t1", f"k{i}"))[1] for i in range(3)]
    for plaintext in plaintexts:
        assert await store.keys.authenticate(plaintext) == "t1"
    async with db.read() as session:
        rows = (await session.scalars(select(ApiKeyRow))).all()
    dumped = repr([{c.key: getattr(row, c.key) for c in ApiKeyRow.__table__.columns} for row in rows])
    for plaintext in plaintexts:
        secret = plaintext[12:]
        assert plaintext not in dumped and secret not in dumped
        assert hash_secret(plaintext) in dumped
    if db.dialect == "sqlite":
        await db.close()  # checkpoint the WAL, then read every byte SQLite wrote
        path = Path(make_url(db.url).database or "")
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert raw
        for plaintext in plaintexts:
            assert plaintext[12:].encode() not in raw
            assert hash_secret(plaintext).encode() in raw
