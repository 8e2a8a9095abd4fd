"""Per-tenant clone slots: how many repository clones one tenant may run at once.

A clone holds a git process, a network transfer and up to `max_source_bytes` of disk for up to its
deadline, so one tenant may not start them without bound. Past the limit the caller is refused at
once (429) rather than queued: a create that waits behind someone's slow clone holds its request
open for minutes and helps nobody; the client retries when its own clones have finished.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

from orchestrator.errors import QuotaExceeded

__all__ = ["CloneSlots"]


class CloneSlots:
    """Counts the clones each tenant runs in this process.

    Args:
        per_tenant: most clones one tenant may run at once (`WARREN_MAX_CLONES_PER_TENANT`).
    """

    def __init__(self, per_tenant: int) -> None:
        self.per_tenant = per_tenant
        self._running: Counter[str] = Counter()

    @contextlib.contextmanager
    def hold(self, tenant: str) -> Iterator[None]:
        """Hold one of `tenant`'s slots for the body of the `with`.

        Raises:
            QuotaExceeded: the tenant already holds every slot (429).
        """
        if self._running[tenant] >= self.per_tenant:
            raise QuotaExceeded(
                f"this tenant already clones {self.per_tenant} repositories at once "
                f"(WARREN_MAX_CLONES_PER_TENANT={self.per_tenant}); retry when one has finished"
            )
        self._running[tenant] += 1
        try:
            yield
        finally:
            self._running[tenant] -= 1
            if not self._running[tenant]:
                del self._running[tenant]
