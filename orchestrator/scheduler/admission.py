"""A place in a tenant's queue, held while a create request is checked, and the refusal past the cap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from orchestrator.errors import QuotaExceeded

__all__ = ["Admission", "QueueFullError"]


class QueueFullError(QuotaExceeded, RuntimeError):
    """A tenant already has `limit` jobs waiting for a slot; the message names the setting."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"too many interactions queued for this tenant: at most {limit} may wait for a slot "
            f"(WARREN_MAX_QUEUED_PER_TENANT={limit}); retry when some have started"
        )
        self.limit = limit
        """The tenant's queue limit."""


@dataclass(eq=False)
class Admission:
    """A place in a tenant's queue, held from `Scheduler.admit` until the job is submitted.

    Use as a context manager: leaving the block gives the place back unless `submit` took it.
    """

    tenant: str
    """Whose queue the place is in."""
    _give_back: Callable[[str], None]
    _open: bool = field(default=True)

    def release(self) -> None:
        """Give the place back (a no-op once submitted or released)."""
        if self._open:
            self._open = False
            self._give_back(self.tenant)

    def __enter__(self) -> Admission:
        """The admission itself."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Release the place unless the job was submitted."""
        self.release()
