"""Resumable upload sessions (Google's protocol, as google-genai speaks it): start, chunks, finalize.

Chunks are held in memory up to a cap per upload, each as it came (appending to one growing buffer
would copy the upload again and again on the event loop), then spooled to a temporary file in a
worker thread and written into the sandbox in one checked tar. A tenant may hold only a few uploads
open at once, so the memory they pin stays bounded.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator.errors import InvalidArgument, NotFound, PayloadTooLarge, QuotaExceeded, WarrenError

__all__ = [
    "ChunkOffsetError",
    "TooManyUploads",
    "UploadError",
    "UploadMissing",
    "UploadSession",
    "UploadSessions",
    "UploadTooLarge",
]


class UploadError(WarrenError, ValueError):
    """A chunk does not fit its session (wrong offset, too large, unknown session)."""


class TooManyUploads(UploadError, QuotaExceeded):
    """The tenant already holds its limit of open uploads: finish one, or wait for one to expire."""


class UploadTooLarge(UploadError, PayloadTooLarge):
    """The upload (declared or received so far) exceeds the per-upload byte limit."""


class ChunkOffsetError(UploadError, InvalidArgument):
    """A chunk's `offset` does not follow the bytes already received."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="offset")


class UploadMissing(NotFound):
    """No such upload session for this tenant (expired, finalized or never started)."""


@dataclass
class UploadSession:
    """One upload in progress."""

    tenant: str
    environment_id: str
    path: str
    overwrite: bool
    extract: bool
    declared_size: int | None
    parts: list[bytes] = field(default_factory=list)
    """The chunks received, in order."""
    received: int = 0
    """Their total size in bytes."""
    started: float = field(default_factory=time.monotonic)

    def ends_with(self, data: bytes) -> bool:
        """Whether the bytes received so far end with `data` (compared piece by piece, not joined)."""
        end = len(data)
        for part in reversed(self.parts):
            if end == 0:
                break
            take = min(end, len(part))
            if part[len(part) - take :] != data[end - take : end]:
                return False
            end -= take
        return end == 0


class UploadSessions:
    """Upload sessions of this process, scoped by tenant, expiring after `ttl_s` seconds, or after
    `idle_ttl_s` if no byte came (an abandoned handshake must not hold a slot for an hour).

    Memory held is at most `max_open_per_tenant` x `max_bytes` per tenant.
    """

    def __init__(
        self,
        max_bytes: int,
        max_open_per_tenant: int = 8,
        ttl_s: float = 3600.0,
        idle_ttl_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_open_per_tenant = max_open_per_tenant
        self._ttl_s = ttl_s
        self._idle_ttl_s = idle_ttl_s
        self._clock = clock
        self._sessions: dict[str, UploadSession] = {}

    def start(self, session: UploadSession) -> str:
        """Open a session and return its id."""
        if session.declared_size is not None and session.declared_size > self.max_bytes:
            raise UploadTooLarge(
                f"upload of {session.declared_size} bytes exceeds the {self.max_bytes}-byte limit"
            )
        self._expire()
        if sum(s.tenant == session.tenant for s in self._sessions.values()) >= self.max_open_per_tenant:
            raise TooManyUploads(
                f"{self.max_open_per_tenant} uploads already open (WARREN_MAX_OPEN_UPLOADS): "
                "finalize one, or wait for it to expire"
            )
        upload_id = secrets.token_urlsafe(16)
        session.started = self._clock()
        self._sessions[upload_id] = session
        return upload_id

    def chunk(self, tenant: str, upload_id: str, offset: int, data: bytes) -> UploadSession:
        """Append a chunk at `offset`; returns the session. A chunk that does not fit ends the upload."""
        session = self._sessions.get(upload_id)
        if session is None or session.tenant != tenant:
            raise UploadMissing("no such upload session (expired or never started)")
        if data and offset + len(data) == session.received and session.ends_with(data):
            return session  # a retried chunk (its answer was lost): already appended
        if offset != session.received:
            self.finish(upload_id)
            received = session.received
            raise ChunkOffsetError(f"chunk offset {offset} does not follow the {received} bytes received")
        if session.received + len(data) > self.max_bytes:
            self.finish(upload_id)
            raise UploadTooLarge(f"upload exceeds the {self.max_bytes}-byte limit")
        if data:
            session.parts.append(data)
            session.received += len(data)
        return session

    def finish(self, upload_id: str) -> None:
        """Forget a finished session."""
        self._sessions.pop(upload_id, None)

    def abandon(self, tenant: str, upload_id: str) -> None:
        """Forget a session whose chunk failed on the way in (the client went away), if it is the tenant's."""
        session = self._sessions.get(upload_id)
        if session is not None and session.tenant == tenant:
            del self._sessions[upload_id]

    def _expire(self) -> None:
        now = self._clock()
        empty_ttl_s = min(self._ttl_s, self._idle_ttl_s)
        for key, s in list(self._sessions.items()):
            if s.started < now - (self._ttl_s if s.received else empty_ttl_s):
                del self._sessions[key]
