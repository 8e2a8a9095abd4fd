"""The store's exceptions: one root, each also the builtin whose meaning it shares.

Each is also an error kind of `orchestrator.errors`, so the API's one table (`orchestrator/api/errors.py`)
answers it without a translating `except`: `NotFoundError` 404, `AlreadyExistsError` and the idempotency
errors 409, `InvalidPageTokenError` 400 on `page_token`.
"""

from __future__ import annotations

from orchestrator.errors import AlreadyExists, Conflict, InvalidArgument, NotFound, WarrenError

__all__ = [
    "AlreadyExistsError",
    "IdempotencyConflictError",
    "InvalidPageTokenError",
    "NotFoundError",
    "StoreError",
]


class StoreError(WarrenError):
    """A store operation failed on purpose (not a driver or connection fault)."""


class NotFoundError(StoreError, NotFound):
    """No row with that id exists for this tenant; another tenant's id looks exactly the same."""

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id!r} not found")
        self.kind = kind
        """What was looked for: `agent`, `environment`, `interaction`, `api_key`."""
        self.id = id
        """The id the caller asked for."""


class AlreadyExistsError(StoreError, AlreadyExists, ValueError):
    """A create named an id that this tenant already uses; the field to blame is the resource's `id`."""

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id!r} already exists", field="id")
        self.kind = kind
        """What was being created."""
        self.id = id
        """The id that is taken."""


class IdempotencyConflictError(StoreError, Conflict, ValueError):
    """An `Idempotency-Key` was reused with a different request body or for another kind of resource."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used with a different request")
        self.key = key
        """The reused key."""


class InvalidPageTokenError(StoreError, InvalidArgument):
    """A `page_token` was not one this store issued for this listing."""

    def __init__(self) -> None:
        super().__init__("page_token is not valid for this listing", field="page_token")


class IdempotencyInProgressError(StoreError, Conflict, ValueError):
    """Another request holds this key's reservation and has not finished creating yet."""

    def __init__(self, key: str) -> None:
        super().__init__(f"a request with idempotency key {key!r} is still in progress")
        self.key = key
