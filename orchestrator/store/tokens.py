"""Unguessable ids and secrets, and how secrets are hashed for storage.

Secrets (API keys, runner tokens) carry 256 bits of randomness, so a plain SHA-256 is enough:
there is nothing to brute-force, and a fast hash keeps authentication cheap on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["hash_secret", "new_id", "new_secret", "secret_matches"]


def new_id(prefix: str) -> str:
    """A server-made id such as `int_3f9c…`: 128 random bits, URL-safe, so ids cannot be guessed."""
    return f"{prefix}_{secrets.token_hex(16)}"


def new_secret() -> str:
    """A fresh URL-safe secret with 256 bits of randomness."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest stored in place of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    """Whether `secret` hashes to `digest`, compared in constant time."""
    return hmac.compare_digest(hash_secret(secret), digest)
