"""Header injection: an allowlist entry's `transform` headers and its `credential`, filled in.

For plain-HTTP requests and intercepted HTTPS ones (`intercept.py`), and only for an entry that
names one exact host: the headers replace any the sandbox sent under the same names. A credential
that is missing, does not open under this installation's key, or is not trusted for the host
refuses the request (403 `credential-refused`); the secret never enters the sandbox.
"""

from __future__ import annotations

import logging

from orchestrator.egress.answers import Refused
from orchestrator.egress.framing import valid_header
from orchestrator.egress.logsafe import printable
from orchestrator.egress.oauth import OAuthTokens
from orchestrator.egress.policy import Rule
from orchestrator.store.credentials import CredentialRepository, CredentialSecret
from orchestrator.store.sealing import SealError

__all__ = ["PLACEHOLDER", "injected_headers"]

log = logging.getLogger("orchestrator.egress")
PLACEHOLDER = "{{credential}}"
"""Replaced by the credential's secret in an entry's `transform` header values."""


async def injected_headers(
    credentials: CredentialRepository,
    tenant: str,
    rule: Rule,
    host: str,
    tokens: OAuthTokens | None = None,
    stale: str | None = None,
) -> list[tuple[str, str]]:
    """The entry's transform headers with the credential filled in, and the credential's own header.

    An `oauth2` credential's value is its access token (`tokens`; `stale` is one the upstream refused)."""
    secret: CredentialSecret | None = None
    if rule.is_wildcard and (rule.credential or rule.headers):
        raise Refused(403, "credential-refused", "credentials and transforms need an exact host")
    if rule.credential:
        try:
            secret = await credentials.secret(tenant, rule.credential)
        except SealError:  # sealed under another key, or tampered with: never injected
            log.warning(
                "credential %s of tenant %s does not open under this key",
                *map(printable, (rule.credential, tenant)),
            )
            raise Refused(
                403, "credential-refused", f"credential {rule.credential!r} cannot be opened"
            ) from None
        if secret is None:
            raise Refused(403, "credential-refused", f"credential {rule.credential!r} not found")
        trusted = secret.config.get("trusted_domains") or []
        if trusted and not any(Rule(str(d).lower()).matches(host) for d in trusted):
            raise Refused(403, "credential-refused", f"credential {rule.credential!r} is not trusted here")
    if secret is not None and secret.type == "oauth2":
        if tokens is None:
            raise Refused(403, "credential-refused", "oauth2 credentials need the orchestrator's token cache")
        token = await tokens.token(tenant, secret, stale=stale)
        secret = secret.model_copy(update={"secret": token, "type": "bearer_token", "config": {}})
    headers: list[tuple[str, str]] = []
    used = False
    for name, value in rule.headers:
        if PLACEHOLDER in value:
            if secret is None:
                raise Refused(403, "credential-refused", f"header {name!r} needs a credential")
            value, used = value.replace(PLACEHOLDER, secret.secret), True
        headers.append((name, value))
    if secret is not None and not used:
        headers.append(secret.header())
    if not all(valid_header(name, value) for name, value in headers):
        raise Refused(403, "credential-refused", "an injected header is not a valid header")
    return headers
