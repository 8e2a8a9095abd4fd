"""Credentials (the SDK's `credentials` resource): secrets the egress proxy injects; write-only.

A credential is created with its secret and shown afterwards only by its metadata. An allowlist
entry for one exact host names it (`{"domain": "api.example.com", "credential": "gh"}`) and the
egress proxy adds it to that host's requests (HTTPS ones by intercepting them with the Warren CA),
so the secret never enters the sandbox.
`trusted_domains` limits it further to the hosts listed, whichever entry names it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from orchestrator.egress.policy import is_exact_host

from .common import WireModel
from .scalars import ResourceId, Timestamp

__all__ = [
    "BearerTokenCredential",
    "CreateCredentialRequest",
    "Credential",
    "CredentialList",
    "EnvironmentVariableCredential",
    "InjectionLocation",
    "OAuth2Credential",
    "TrustedDomain",
    "UpdateCredentialRequest",
]


def _exact_host(domain: str) -> str:
    if not is_exact_host(domain):
        raise ValueError("must be one exact host name or IP address, not a wildcard")
    return domain.strip().lower().rstrip(".")


TrustedDomain = Annotated[str, Field(min_length=1, max_length=253), AfterValidator(_exact_host)]
"""A host a credential may be sent to: one exact name or IP literal (no `*`), compared case-insensitively."""


class BearerTokenCredential(WireModel):
    """A static token sent as `<header_name>: <prefix> <token>` (default `Authorization: Bearer`)."""

    type: Literal["bearer_token"] = "bearer_token"
    """Always `bearer_token`."""
    id: ResourceId | None = None
    """The credential id; the server makes one (`cred_...`) when absent."""
    token: str = Field(min_length=1, max_length=16384)
    """The token. Write-only: never returned."""
    header_name: str | None = Field(None, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
    """The header to send it in; default `Authorization`."""
    prefix: str | None = Field(None, max_length=64, pattern=r"^[^\r\n]*$")
    """Put before the token; default `Bearer`, `""` for none."""
    trusted_domains: list[TrustedDomain] | None = Field(None, max_length=100)
    """Warren extension: the exact hosts it may be sent to; absent means any exact-host entry naming it."""


InjectionLocation = Literal["header", "query", "body"]
"""Where the egress proxy may swap an `environment_variable` credential's placeholder for its value."""


class EnvironmentVariableCredential(WireModel):
    """A secret value. An environment's `env` that names it (`{"NAME": {"credential": id}}`) gives the
    sandbox a placeholder; the egress proxy swaps it for the value in requests to `trusted_domains`
    only, in the `injection_location`s only. An entry's `transform` may also use it as `{{credential}}`."""

    type: Literal["environment_variable"] = "environment_variable"
    """Always `environment_variable`."""
    id: ResourceId | None = None
    """The credential id; the server makes one (`cred_...`) when absent."""
    value: str = Field(min_length=1, max_length=16384)
    """The secret. Write-only: never returned."""
    injection_location: InjectionLocation | Annotated[list[InjectionLocation], Field(min_length=1)] = "header"
    """Where the placeholder is swapped: header values, the URL's query, the request body."""
    trusted_domains: list[TrustedDomain] | None = Field(None, max_length=100)
    """The exact hosts it may be sent to; the placeholder is swapped only toward these (absent: toward
    none; an allowlist entry naming it as `credential` still may)."""


class OAuth2Credential(WireModel):
    """An OAuth 2.0 client whose access token the orchestrator gets with the refresh token, caches
    until it expires, and refreshes once when the upstream answers 401; sent as
    `Authorization: Bearer <access token>` by the allowlist entries that name it. The refresh token
    and client secret never leave the orchestrator (only the token endpoint sees them)."""

    type: Literal["oauth2"] = "oauth2"
    """Always `oauth2`."""
    id: ResourceId | None = None
    """The credential id; the server makes one (`cred_...`) when absent."""
    client_id: str = Field(min_length=1, max_length=1024)
    """The OAuth client id."""
    client_secret: str = Field(min_length=1, max_length=16384)
    """The client secret. Write-only: never returned."""
    refresh_token: str = Field(min_length=1, max_length=16384)
    """The refresh token. Write-only: never returned."""
    token_url: str = Field(min_length=1, max_length=2048)
    """The token endpoint (`https://`, or `http://` to an address the operator allowed); reached by
    the orchestrator under the egress address rules."""
    scopes: (
        list[Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[\x21\x23-\x5b\x5d-\x7e]+$")]]
        | None
    ) = Field(None, max_length=100)
    """Scopes asked for at each refresh."""
    trusted_domains: list[TrustedDomain] | None = Field(None, max_length=100)
    """Warren extension: the exact hosts the access token may be sent to."""


CreateCredentialRequest = Annotated[
    BearerTokenCredential | EnvironmentVariableCredential | OAuth2Credential, Field(discriminator="type")
]
"""The body of `POST /{v}/credentials`, by `type`."""


class BearerTokenUpdate(WireModel):
    """A change of a `bearer_token` credential; absent fields stay as they are."""

    type: Literal["bearer_token"] = "bearer_token"
    token: str | None = Field(None, min_length=1, max_length=16384)
    header_name: str | None = Field(None, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
    prefix: str | None = Field(None, max_length=64, pattern=r"^[^\r\n]*$")
    trusted_domains: list[TrustedDomain] | None = Field(None, max_length=100)


class EnvironmentVariableUpdate(WireModel):
    """A change of an `environment_variable` credential; absent fields stay as they are."""

    type: Literal["environment_variable"] = "environment_variable"
    value: str | None = Field(None, min_length=1, max_length=16384)
    injection_location: InjectionLocation | Annotated[list[InjectionLocation], Field(min_length=1)] | None = (
        None
    )
    trusted_domains: list[TrustedDomain] | None = Field(None, max_length=100)


class OAuth2Update(WireModel):
    """A change of an `oauth2` credential; absent fields stay as they are."""

    type: Literal["oauth2"] = "oauth2"
    client_id: str | None = Field(None, min_length=1, max_length=1024)
    client_secret: str | None = Field(None, min_length=1, max_length=16384)
    refresh_token: str | None = Field(None, min_length=1, max_length=16384)
    token_url: str | None = Field(None, min_length=1, max_length=2048)
    scopes: list[str] | None = Field(None, max_length=100)
    trusted_domains: list[TrustedDomain] | None = Field(None, max_length=100)


UpdateCredentialRequest = Annotated[
    BearerTokenUpdate | EnvironmentVariableUpdate | OAuth2Update, Field(discriminator="type")
]
"""The body of `PATCH /{v}/credentials/{id}`, by `type` (which must be the credential's)."""


class Credential(WireModel):
    """A stored credential: metadata only, the secret is never sent back."""

    id: str
    """The credential id."""
    status: Literal["active", "revoked"] = "active"
    """Always `active` (deleting removes it)."""
    type: Literal["bearer_token", "environment_variable", "oauth2"]
    """The kind of credential."""
    create_time: Timestamp | None = None
    """When it was created."""
    update_time: Timestamp | None = None
    """When it last changed."""


class CredentialList(WireModel):
    """A page of credentials."""

    credentials: list[Credential] | None = None
    """The credentials on this page."""
    next_page_token: str | None = None
    """Pass as `page_token` for the next page; absent on the last."""
