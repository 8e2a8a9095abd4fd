"""Signed preview links: a short-lived token that opens one port of one environment in a browser.

A browser cannot send the API key header on a link or a WebSocket, so opening a port also mints a
token `v1.<tenant, base64url>.<expiry, unix seconds>.<HMAC-SHA256, base64url>` over the tenant,
the environment, the port and the expiry, with a key derived from the installation's secret key
(`sealing.load_key`), so every replica accepts every other's tokens. A token is good for that port
of that environment only, until it expires; it is never logged (the proxy strips it from the
request it relays, and the access log prints paths without query strings).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

__all__ = ["PreviewLinks", "PreviewTarget"]

_VERSION = "v1"
_PURPOSE = b"warren preview links v1"


@dataclass(frozen=True)
class PreviewTarget:
    """What a valid token opens."""

    tenant: str
    environment_id: str
    port: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PreviewLinks:
    """Mints and checks preview tokens.

    Args:
        secret: the installation's key; the signing key is derived from it for this use only.
        ttl_s: a token's life, in **seconds**.
    """

    def __init__(self, secret: bytes, ttl_s: int) -> None:
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
        self.ttl_s = ttl_s

    def _sign(self, tenant: str, environment_id: str, port: int, expires: int) -> str:
        message = f"{tenant}\n{environment_id}\n{port}\n{expires}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def mint(self, target: PreviewTarget, now: float | None = None) -> tuple[str, int]:
        """A token for `target` and its expiry (unix seconds)."""
        expires = int(now if now is not None else time.time()) + self.ttl_s
        tenant = _b64(target.tenant.encode())
        signature = self._sign(target.tenant, target.environment_id, target.port, expires)
        return f"{_VERSION}.{tenant}.{expires}.{signature}", expires

    def check(self, token: str, environment_id: str, port: int, now: float | None = None) -> str | None:
        """The tenant when `token` is a valid, unexpired token for this port of this environment."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != _VERSION or len(token) > 512:
            return None
        try:
            tenant = _unb64(parts[1]).decode()
            expires = int(parts[2])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        expected = self._sign(tenant, environment_id, port, expires)
        if not hmac.compare_digest(expected.encode(), parts[3].encode()):
            return None
        if expires < (now if now is not None else time.time()):
            return None
        return tenant
