"""Keyset pagination over `(created, id)`: no repeats and no gaps, even while rows are added.

The `page_token` is opaque to clients: URL-safe base64 of the last row's `created` and `id`.
It carries no tenant, because every listing also filters by the caller's tenant.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from orchestrator.store.errors import InvalidPageTokenError

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "clamp_page_size", "fetch_page", "start_token"]

DEFAULT_PAGE_SIZE = 50
"""Page size when the caller gives none (or 0)."""
MAX_PAGE_SIZE = 1000
"""Larger requests are served this many rows."""

RowT = TypeVar("RowT")


def _encode(created: datetime, id: str) -> str:
    raw = json.dumps([created.isoformat(), id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        created, id = json.loads(raw)
        moment = datetime.fromisoformat(created)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidPageTokenError() from exc
    if not isinstance(id, str) or moment.tzinfo is None:
        raise InvalidPageTokenError()
    return moment, id


def clamp_page_size(page_size: int | None) -> int:
    """The rows a page holds when the caller asks for `page_size`."""
    if page_size is None or page_size <= 0:
        return DEFAULT_PAGE_SIZE
    return min(page_size, MAX_PAGE_SIZE)


def start_token() -> str:
    """A token before every row: the page after one the caller filled with items of its own
    (the built-in agent alone on the first page of `agents.list`)."""
    return _encode(datetime(1970, 1, 1, tzinfo=UTC), "")


async def fetch_page(
    session: AsyncSession,
    stmt: Select[RowT],
    created: InstrumentedAttribute[datetime],
    id: InstrumentedAttribute[str],
    *,
    page_size: int | None,
    page_token: str | None,
    newest_first: bool = False,
) -> tuple[Sequence[RowT], str | None]:
    """Run `stmt` (already filtered by tenant) for one page; return its rows and the next token.

    `newest_first` walks the same keys backwards; its tokens mean "after this row" in that order.

    Raises:
        InvalidPageTokenError: the token was not issued by `fetch_page`.
    """
    size = clamp_page_size(page_size)
    if page_token:
        after_created, after_id = _decode(page_token)
        if newest_first:
            stmt = stmt.where(or_(created < after_created, and_(created == after_created, id < after_id)))
        else:
            stmt = stmt.where(or_(created > after_created, and_(created == after_created, id > after_id)))
    order = (created.desc(), id.desc()) if newest_first else (created, id)
    rows = (await session.scalars(stmt.order_by(*order).limit(size + 1))).all()
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    return rows[:size], _encode(getattr(last, created.key), getattr(last, id.key))
