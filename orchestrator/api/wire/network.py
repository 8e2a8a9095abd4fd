"""An environment's network policy on the wire: `disabled`, or an allowlist of domains with the
headers (a stored credential, a transform) the egress proxy injects for each.

Kept apart from the environment models because it carries the one security rule of the wire:
headers go only to an exact host, never to a wildcard (checked with `egress.policy`'s own parser).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag, model_validator

from orchestrator.egress.policy import is_exact_host, split_domain

from .common import WireModel, by_json_kind, field_error

__all__ = ["AllowlistEntry", "EgressAllowlist", "Network", "RequestMatch", "Transform"]


Transform = Annotated[
    Annotated[dict[str, str], Tag("object")] | Annotated[list[dict[str, str]], Tag("array")],
    by_json_kind("an object of headers or an array of them"),
]
"""Headers the egress proxy adds for a domain: `{header: value}` or a list of such objects."""


class RequestMatch(WireModel):
    """Warren extension: which requests an entry's credential and transform apply to."""

    method: str | None = Field(None, pattern=r"^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$")
    """The request's method; absent: any."""
    path_prefix: str | None = Field(None, min_length=1, max_length=1024, pattern=r"^/[\x21-\x7e]*$")
    """The start of the request's path (before `?`); absent: any path."""


class AllowlistEntry(WireModel):
    """One domain the sandbox may reach through the egress proxy."""

    domain: str
    """The domain; wildcards like `*.googleapis.com` are allowed, and `*` means all. An entry with a
    `credential` or a `transform` must name one exact host (a wildcard would send the headers to
    names nobody vetted)."""
    credential: str | None = None
    """A stored credential whose secret the proxy injects for this domain (exact hosts only)."""
    transform: Transform | None = None
    """Headers the proxy injects for this domain (exact hosts only)."""
    match: list[RequestMatch] | None = Field(None, min_length=1, max_length=20)
    """Warren extension: the credential and transform apply only to requests one of these matches
    (other requests to the domain go out without them); absent: every request."""

    @model_validator(mode="after")
    def _headers_need_an_exact_host(self) -> AllowlistEntry:
        if self.credential is None and self.transform is None:
            return self
        pattern, _ = split_domain(self.domain)
        if "*" in pattern:
            blamed = "credential" if self.credential is not None else "transform"
            raise field_error(self, (blamed,), "needs an exact host in 'domain', not a wildcard")
        if not is_exact_host(self.domain):
            raise field_error(
                self, ("domain",), "must be a host name or IP address when headers are injected"
            )
        return self


class EgressAllowlist(WireModel):
    """Egress restricted to an allowlist (or disabled)."""

    allowlist: Annotated[
        Annotated[list[AllowlistEntry], Tag("array")] | Annotated[Literal["disabled"], Tag("string")],
        by_json_kind("an array of allowlist entries or 'disabled'"),
    ]
    """The domains the sandbox may reach, or `disabled`."""


Network = Annotated[
    Annotated[Literal["disabled"], Tag("string")] | Annotated[EgressAllowlist, Tag("object")],
    by_json_kind("'disabled' or an object with 'allowlist'"),
]
"""The network policy: `disabled`, or `{"allowlist": [...] | "disabled"}`. Absent means unrestricted."""
