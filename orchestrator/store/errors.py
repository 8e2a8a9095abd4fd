"""The store's exceptions: one root, each also the builtin whose meaning it shares.

The API maps these in one table (`orchestrator/api/errors.py`): `NotFoundError` to 404,
`AlreadyExistsError` and `IdempotencyConflictError` to 409, `InvalidPageTokenError` to 400.
"""

from __future__ import annotations

from orchestrator.errors import WarrenError

__all__ = [
    "AlreadyExistsError",
    "IdempotencyConflictError",
    "InvalidPageTokenError",
    "NotFoundError",
    "StoreError",
]


class StoreError(WarrenError):
    """A store operation failed on purpose (not a driver or connection fault)."""


class NotFoundError(StoreError, LookupError):
    """No row with that id exists for this tenant; another tenant's id looks exactly the same."""

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id!r} not found")
        self.kind = kind
        """What was looked for: `agent`, `environment`, `interaction`, `api_key`."""
        self.id = id
        """The id the caller asked for."""


class AlreadyExistsError(StoreError, ValueError):
    """A create named an id that this tenant already uses."""

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id!r} already exists")
        self.kind = kind
        """What was being created."""
        self.id = id
        """The id that is taken."""


class IdempotencyConflictError(StoreError, ValueError):
    """An `Idempotency-Key` was reused with a different request body or for another kind of resource."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used with a different request")
        self.key = key
        """The reused key."""


class InvalidPageTokenError(StoreError, ValueError):
    """A `page_token` was not one this store issued for this listing."""

    def __init__(self) -> None:
        super().__init__("page_token is not valid for this listing")


class IdempotencyInProgressError(StoreError, ValueError):
    """Another request holds this key's reservation and has not finished creating yet."""

    def __init__(self, key: str) -> None:
        super().__init__(f"a request with idempotency key {key!r} is still in progress")
        self.key = key
