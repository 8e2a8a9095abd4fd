"""Sealing: credential secrets are encrypted at rest, under a key the database never holds.

AES-256-GCM (the `cryptography` package). Each secret gets a fresh 96-bit nonce, and the row's
identity (tenant, credential id) is the associated data, so a sealed value copied into another
row or another tenant's credential does not open. A stored value is `v1.` followed by the
base64url of nonce + ciphertext + tag.

The key is `WARREN_SECRET_KEY` (base64url of 32 random bytes) when set; otherwise the file
`secret.key` in the data folder, created 0600 on first start. Replicas sharing one PostgreSQL
database must be given the same `WARREN_SECRET_KEY`. Losing the key loses the credentials (their
rows stay, but no longer open); a wrong key is refused with `SealError`, never used to inject a
garbled header.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orchestrator.store.errors import StoreError

__all__ = ["KEY_FILE", "SealError", "Sealer", "load_key", "parse_key"]

log = logging.getLogger("orchestrator.store")

KEY_FILE = "secret.key"
"""The key file's name in the data folder."""

_KEY_BYTES = 32
_NONCE_BYTES = 12
_VERSION = "v1."


class SealError(StoreError, ValueError):
    """A key is malformed, or a sealed value does not open under this key (wrong key, or tampered)."""


def parse_key(text: str, *, source: str) -> bytes:
    """The 32-byte key spelled in `text` (base64url); `source` names where it came from in errors.

    Raises:
        SealError: `text` is not base64url of exactly 32 bytes (the value itself is never echoed).
    """
    raw = text.strip()
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise SealError(f"{source}: not base64url") from None
    if len(key) != _KEY_BYTES:
        raise SealError(f"{source}: must decode to {_KEY_BYTES} bytes, not {len(key)}")
    return key


def _encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def load_key(data_dir: Path, configured: str | None = None) -> bytes:
    """The installation's key: `configured` (`WARREN_SECRET_KEY`) or `data_dir/secret.key`.

    The file is made on first start with mode 0600, atomically (written aside, then linked into
    place), so two servers starting at once agree on one key. An existing file readable by
    others is tightened to 0600.

    Raises:
        SealError: the configured key or the key file is malformed.
    """
    if configured:
        return parse_key(configured, source="WARREN_SECRET_KEY")
    path = data_dir / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); set it to 0600", KEY_FILE, mode)
        os.chmod(path, 0o600)
    return parse_key(path.read_text(encoding="ascii"), source=KEY_FILE)


def _create_key_file(path: Path) -> None:
    aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(_encode_key(AESGCM.generate_key(bit_length=8 * _KEY_BYTES)) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs wins
            os.link(aside, path)
    finally:
        aside.unlink(missing_ok=True)


class Sealer:
    """Seals and opens secrets under one key.

    Args:
        key: 32 bytes (see `load_key`).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise SealError(f"the sealing key must be {_KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    @classmethod
    def ephemeral(cls) -> Sealer:
        """A sealer with a random key held only in memory: what it seals, no later process opens.

        For stores that never keep credentials across restarts (tests, CLI commands that touch
        only API keys); a server passes the installation's key (`load_key`).
        """
        return cls(AESGCM.generate_key(bit_length=8 * _KEY_BYTES))

    def seal(self, plaintext: str, *, context: tuple[str, ...]) -> str:
        """`plaintext`, encrypted and bound to `context` (the row's identity)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), _associated(context))
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, *, context: tuple[str, ...]) -> str:
        """The plaintext `seal` was given with the same `context`.

        Raises:
            SealError: not a sealed value, sealed under another key or context, or altered.
        """
        if not stored.startswith(_VERSION):
            raise SealError("not a sealed value")
        try:
            blob = base64.urlsafe_b64decode(stored[len(_VERSION) :])
            nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
            return self._aead.decrypt(nonce, sealed, _associated(context)).decode("utf-8")
        except (binascii.Error, ValueError, InvalidTag):
            raise SealError("the sealed secret does not open with this key (WARREN_SECRET_KEY?)") from None


def _associated(context: tuple[str, ...]) -> bytes:
    """Length-prefixed parts, so ("ab", "c") and ("a", "bc") differ."""
    return b"".join(len(part.encode()).to_bytes(4, "big") + part.encode() for part in context)
