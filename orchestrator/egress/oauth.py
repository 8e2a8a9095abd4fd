"""`oauth2` credentials: the orchestrator gets access tokens with the refresh token and caches them.

    tokens = OAuthTokens(resolver)
    token = await tokens.token(tenant, secret)                 # cached until shortly before it expires
    token = await tokens.token(tenant, secret, stale=token)    # the upstream said 401: refresh once

The stored secret of an `oauth2` credential is `oauth_secret(client_secret, refresh_token)` (JSON,
sealed like every secret). A refresh is a `refresh_token` grant (RFC 6749 section 6) POSTed by the
orchestrator to `token_url`, which the egress address rules decide first (`pinned.resolve`) and the
request is pinned to the checked address, TLS verified against the host's store (`SSL_CERT_FILE`
honoured), no redirects followed, 10 s, 64 KiB of answer. The access token is cached per tenant
and credential until 30 s before `expires_in` (an hour when the endpoint names none) and forgotten
when the credential changes; concurrent requests wait for one refresh. An endpoint that rotates
refresh tokens (RFC 6749 section 6: the answer holds a new `refresh_token`) has the new one stored
back, sealed, before the access token is used: the old one may already be void. The refresh token
and the client secret go only to the token endpoint: never to the sandbox or the upstream API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from orchestrator.egress.answers import Refused
from orchestrator.egress.logsafe import printable
from orchestrator.egress.pinned import Refusal, pinned, resolve
from orchestrator.egress.policy import Resolver
from orchestrator.store.credentials import CredentialRepository, CredentialSecret
from orchestrator.store.errors import NotFoundError

__all__ = ["OAuthTokens", "oauth_secret"]

log = logging.getLogger("orchestrator.egress")
_EARLY_S = 30.0
_DEFAULT_TTL_S = 3600.0
_MAX_ANSWER = 64 * 1024
_MAX_TOKEN = 8 * 1024


def oauth_secret(client_secret: str | None, refresh_token: str | None, stored: str | None = None) -> str:
    """The stored secret of an `oauth2` credential; a None field keeps the one in `stored`."""
    old = json.loads(stored) if stored else {}
    return json.dumps(
        {
            "client_secret": client_secret or old.get("client_secret"),
            "refresh_token": refresh_token or old.get("refresh_token"),
        }
    )


@dataclass(frozen=True)
class _Token:
    value: str
    until: float
    """`time.monotonic()` after which it is refreshed."""
    version: datetime
    """The credential's `updated` when it was got: a changed credential refreshes."""


class OAuthTokens:
    """Access tokens of `oauth2` credentials, per tenant and credential.

    Args:
        resolver: the egress address rules the token endpoint must pass.
        credentials: where a rotated refresh token is stored back (None: it is not, for tests).
    """

    def __init__(self, resolver: Resolver, credentials: CredentialRepository | None = None) -> None:
        self._resolver = resolver
        self._credentials = credentials
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._tls = ssl.create_default_context()
        self.refreshes = 0
        """How many refreshes were made (for the tests and logs)."""

    def current(self, tenant: str, credential_id: str) -> str | None:
        """The cached access token of an `oauth2` credential (None for other kinds)."""
        cached = self._tokens.get((tenant, credential_id))
        return None if cached is None else cached.value

    async def token(self, tenant: str, secret: CredentialSecret, *, stale: str | None = None) -> str:
        """A valid access token; a new one when the cached one expired, the credential changed, or it
        is `stale` (the upstream refused it).

        Raises:
            Refused: the token endpoint is not allowed, unreachable or gave no token (502).
        """
        key = (tenant, secret.id)
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._tokens.get(key)
            if (
                cached is not None
                and cached.version >= secret.updated  # a copy read before a rotation is older
                and cached.value != stale
                and time.monotonic() < cached.until
            ):
                return cached.value
            if self._credentials is not None:  # the newest refresh token: one read while waiting is stale
                secret = await self._credentials.secret(tenant, secret.id) or secret
            value, ttl, rotated = await self._refresh(secret)
            version = secret.updated
            if rotated is not None:
                version = await self._store_rotated(tenant, secret, rotated)
            self._tokens[key] = _Token(value, time.monotonic() + max(ttl - _EARLY_S, 0.0), version)
            return value

    async def _store_rotated(self, tenant: str, secret: CredentialSecret, refresh_token: str) -> datetime:
        """Store the endpoint's new refresh token; the credential's new version (so the access token
        got with it stays cached)."""
        if self._credentials is None:
            return secret.updated
        stored = oauth_secret(None, refresh_token, stored=secret.secret)
        try:
            record = await self._credentials.update(tenant, secret.id, "oauth2", stored, {})
        except NotFoundError:  # deleted meanwhile: nothing to keep
            return secret.updated
        return record.updated

    async def _refresh(self, secret: CredentialSecret) -> tuple[str, float, str | None]:
        url = str(secret.config.get("token_url") or "")
        target = await resolve(url, self._resolver)
        if isinstance(target, Refusal):
            raise Refused(502, "credential-refresh", f"the token endpoint is refused: {target.reason}")
        held = json.loads(secret.secret)
        form = {
            "grant_type": "refresh_token",
            "refresh_token": held["refresh_token"],
            "client_id": str(secret.config.get("client_id") or ""),
            "client_secret": held["client_secret"],
        }
        if secret.config.get("scopes"):
            form["scope"] = " ".join(secret.config["scopes"])
        pinned_url, host, extensions = pinned(target)
        headers = {**host, "accept": "application/json"}
        self.refreshes += 1
        try:
            async with httpx.AsyncClient(verify=self._tls, timeout=10.0, follow_redirects=False) as client:
                answer = await client.post(pinned_url, data=form, headers=headers, extensions=extensions)
            if answer.status_code != 200 or len(answer.content) > _MAX_ANSWER:
                raise ValueError(f"answered {answer.status_code}")
            body = answer.json()
            token, ttl = body["access_token"], float(body.get("expires_in") or _DEFAULT_TTL_S)
            if not isinstance(token, str) or not token:
                raise ValueError("gave no access_token")
            rotated = body.get("refresh_token")
            if rotated is not None and (not isinstance(rotated, str) or not 0 < len(rotated) <= _MAX_TOKEN):
                raise ValueError("gave an unusable refresh_token")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("oauth2 credential %s: refresh failed: %s", printable(secret.id), printable(exc))
            raise Refused(502, "credential-refresh", f"the token endpoint {exc}") from None
        return token, ttl, (rotated if rotated != held["refresh_token"] else None)
