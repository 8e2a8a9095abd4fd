"""What repositories return: frozen snapshots of rows, and one page of a listing.

Repositories never hand out ORM objects, so a caller cannot change a row by accident or touch a
lazy attribute after its session closed.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Page", "Record"]


class Record(BaseModel):
    """Base of every record: immutable, built from a row's attributes."""

    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)


RecordT = TypeVar("RecordT", bound=Record)


class Page(BaseModel, Generic[RecordT]):
    """One page of a listing, in a stable order."""

    model_config = ConfigDict(frozen=True)

    items: list[RecordT]
    """The records on this page, at most `page_size` of them."""
    next_page_token: str | None = None
    """Pass it back as `page_token` for the next page; None on the last page."""
