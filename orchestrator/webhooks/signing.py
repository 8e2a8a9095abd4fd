"""Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`, `webhook-signature`).

Signing uses the `standardwebhooks` package, the scheme's reference implementation, so what a
receiver verifies with the same package is exactly what Warren computed. A delivery is signed with
every unexpired secret of its webhook (space-separated `v1,` signatures), so receivers keep
verifying while a rotated secret is still in its grace period.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

__all__ = ["dynamic_secret", "new_secret", "signed_headers"]

_SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def dynamic_secret(installation_key: bytes, tenant: str) -> str:
    """The tenant's secret for its requests' `webhook_config` URIs, derived from the installation key.

    Derived, not stored: the same key gives the same secret on every replica and after restarts.
    """
    digest = hmac.new(installation_key, b"warren webhook_config\0" + tenant.encode(), hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(digest).decode("ascii")


def signed_headers(message_id: str, moment: datetime, body: bytes, keys: Sequence[str]) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, one signature per secret in `keys`."""
    signatures = " ".join(Webhook(key).sign(message_id, moment, body) for key in keys)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }
