"""What each call of tests/js/sdk_conformance.mjs must do: succeed (its checks inside the script hold)
or be refused with the SDK error a user would read. Keys are (SDK method, case) as the script names them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EXPECTED", "PENDING", "Refused"]


@dataclass(frozen=True)
class Refused:
    """The SDK must raise this: its error class, the HTTP status and a regex the message matches."""

    status: int
    error_class: str
    message: str


_NOT_SERVED = Refused(404, "NotFoundError", r"no such resource")


def _not_yours(kind: str) -> Refused:
    """Another tenant's resource: the same 404 as one that does not exist."""
    return Refused(404, "NotFoundError", rf"{kind} '[^']+' not found")


EXPECTED: dict[tuple[str, str], Refused | None] = {
    ("interactions.create", "model form"): None,
    ("interactions.create", "agent form"): None,
    ("interactions.create", "stream"): None,
    ("interactions.create", "unknown model is refused"): Refused(404, "NotFoundError", r"\bmodel\b"),
    ("interactions.get", "by id"): None,
    ("interactions.get", "include_input"): None,
    ("interactions.get", "stream resumed with last_event_id"): None,
    ("interactions.get", "another tenant's is 404"): _not_yours("interaction"),
    ("interactions.cancel", "mid-run"): None,
    ("interactions.delete", "then get is 404"): None,
    ("agents.create", "with config and tools"): None,
    ("agents.get", "by id"): None,
    ("agents.list", "paged"): None,
    ("agents.list", "parent"): Refused(400, "BadRequestError", r"\bparent\b"),
    ("agents.get", "another tenant's is 404"): _not_yours("agent"),
    ("agents.delete", "then get is 404"): None,
    ("environments.create", "inline sources"): None,
    ("environments.get", "by id"): None,
    ("environments.list", "paged"): None,
    ("environments.list", "mode filter"): None,
    ("environments.get", "another tenant's is 404"): _not_yours("environment"),
    ("environments.files.list", "another tenant's is 404"): _not_yours("environment"),
    ("environments.files.list", "root and recursive"): None,
    ("environments.files.list", "paged"): None,
    ("environments.files.download", "seeded file"): None,
    # files.download and the upload's data and final requests use the classic transport: their errors
    # are `ApiError` with the body as message.
    ("environments.files.download", "missing file"): Refused(404, "ApiError", r"no file at 'nope\.txt'"),
    ("environments.files.upload", "bytes, then download them"): None,
    ("environments.files.upload", "overwrite false onto an existing file"): Refused(
        400, "ApiError", r"'seed\.txt' exists and overwrite is false"
    ),
    ("environments.files.upload", "a gzip tar, extracted"): None,
    ("environments.delete", "then get is 404"): None,
    ("credentials.create", "bearer_token"): None,
    ("credentials.create", "environment_variable"): None,
    ("credentials.create", "environment_variable injected in a query"): None,
    ("credentials.create", "oauth2"): None,
    ("credentials.get", "by id"): None,
    ("credentials.list", "paged"): None,
    ("credentials.get", "another tenant's is 404"): _not_yours("credential"),
    ("credentials.update", "new token"): None,
    ("credentials.delete", "then get is 404"): None,
    ("triggers.create", "yearly agent run"): None,
    ("triggers.create", "more often than once a minute"): Refused(
        400, "BadRequestError", r"schedule: .*once a minute"
    ),
    ("triggers.create", "unknown time zone"): Refused(
        400, "BadRequestError", r"time_zone: unknown time zone"
    ),
    ("triggers.get", "by id"): None,
    ("triggers.list", "paged"): None,
    ("triggers.update", "pause"): None,
    ("triggers.list", "filter by status"): None,
    ("triggers.list", "unknown filter"): Refused(400, "BadRequestError", r"filter: must be status="),
    ("triggers.update", "resume and rename"): None,
    ("triggers.run", "run now"): None,
    ("triggers.get", "another tenant's is 404"): _not_yours("trigger"),
    ("triggers.run", "another tenant's is 404"): _not_yours("trigger"),
    ("triggers.listExecutions", "the run completes"): None,
    ("triggers.delete", "then get is 404"): None,
    ("webhooks.create", "loopback receiver"): None,
    ("webhooks.create", "cloud metadata address"): Refused(
        400, "BadRequestError", r"uri: .*refused by the address policy"
    ),
    ("webhooks.get", "secret not shown again"): None,
    ("webhooks.list", "paged"): None,
    ("webhooks.update", "name and state with update_mask"): None,
    ("webhooks.ping", "reaches the receiver, signed"): None,
    ("webhooks.create", "a subscribed event is delivered"): None,
    ("interactions.create", "webhook_config is delivered"): None,
    ("webhooks.rotateSigningSecret", "revoke at once"): None,
    ("webhooks.get", "another tenant's is 404"): _not_yours("webhook"),
    ("webhooks.ping", "another tenant's is 404"): _not_yours("webhook"),
    ("webhooks.delete", "then get is 404"): None,
    ("voices.list", "not served"): _NOT_SERVED,
    ("voices.get", "not served"): _NOT_SERVED,
    ("voices.create", "not served"): _NOT_SERVED,
    ("voices.delete", "not served"): _NOT_SERVED,
    ("decisions.create", "not served"): _NOT_SERVED,
}


PENDING: dict[tuple[str, str], str] = {}
"""Calls that fail today for a known, tracked reason: strict xfail, so the fix must remove the entry."""
