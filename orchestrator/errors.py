"""Warren's error kinds, free of HTTP: domain code raises these; only `api/errors.py` maps them to the wire.

Each kind also derives from the builtin whose meaning it shares (`NotFound` is a `LookupError`, ...), so
callers that only know the builtin still catch it. Store, environment, source and sandbox errors are
these kinds or subclass them; `orchestrator/api/errors.py` holds the one table from kind to status.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "BadGateway",
    "Conflict",
    "DomainError",
    "FailedPrecondition",
    "InternalError",
    "InvalidArgument",
    "ModelNotFound",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "QuotaExceeded",
    "RateLimited",
    "Unauthenticated",
    "Unimplemented",
    "WarrenError",
]


class WarrenError(Exception):
    """Base class: anything Warren raises deliberately derives from this."""


class DomainError(WarrenError):
    """An error whose kind (its class) says how the caller should react; the message is safe to show."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        """Create the error.

        Args:
            message: what went wrong, shown to the client; never include secrets or internals.
            field: the JSON path of the offending field (e.g. `input[2].type`), when one is to blame.
        """
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(DomainError, ValueError):
    """The request is malformed; `field` names the bad field."""


class FailedPrecondition(DomainError):
    """The request is valid but the resource is not in a state to accept it (retrying will not help)."""


class Unauthenticated(DomainError, PermissionError):
    """No API key, or one Warren does not know."""


class PermissionDenied(DomainError, PermissionError):
    """The key is valid but may not do this."""


class NotFound(DomainError, LookupError):
    """No such resource (or not visible to this caller)."""


class ModelNotFound(NotFound):
    """A well-formed model name that names no model this server has (Google answers 404 for it)."""


class Unimplemented(DomainError, NotImplementedError):
    """A call the SDKs expose that this server does not carry out (the Live WebSocket)."""


class Conflict(DomainError):
    """The request conflicts with the resource's current state; a retry may succeed."""


class AlreadyExists(Conflict):
    """A resource with this id exists (e.g. a duplicate agent id)."""


class PayloadTooLarge(DomainError):
    """A body or an uploaded file exceeds a limit."""


class RateLimited(DomainError):
    """A quota or rate limit was hit; the caller may retry after a delay."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        """Create the error.

        Args:
            message: which limit was hit.
            retry_after_s: **seconds** until a retry may succeed, when known.
        """
        super().__init__(message)
        self.retry_after_s = retry_after_s


class QuotaExceeded(RateLimited):
    """A tenant quota (running sandboxes, model tokens) is used up; the message names the limit."""


class InternalError(DomainError):
    """Warren failed; the message must stay generic."""


class BadGateway(DomainError):
    """Something Warren relays to (a preview port in a sandbox) did not answer usefully."""
