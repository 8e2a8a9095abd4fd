"""Warren extensions that the console reads: a page of interactions and who the caller is."""

from __future__ import annotations

from .common import WireModel
from .interactions import Interaction

__all__ = ["CallerInfo", "InteractionList"]


class InteractionList(WireModel):
    """A page of interactions, each without its steps (get one for those)."""

    interactions: list[Interaction] | None = None
    """The interactions on this page."""
    next_page_token: str | None = None
    """Pass as `page_token` for the next page; absent on the last."""


class CallerInfo(WireModel):
    """The tenant and key a request authenticated as: what a client shows as "signed in as"."""

    tenant: str
    """The tenant the key belongs to; every resource the key reaches is this tenant's."""
    api_key_id: str
    """The key's id, as `warren keys list` shows it (never the secret)."""
