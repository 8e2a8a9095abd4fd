"""Caps on open shell WebSockets: per environment and per tenant, counted in this process.

Each open shell holds a process in the sandbox, an engine exec and a socket for as long as the
client keeps it, idle or not; without a cap one tenant could hold any number of them (issue 13).
Past a cap the shell route refuses the WebSocket with 4429. Replicas count their own shells.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

from orchestrator.errors import WarrenError

__all__ = ["ShellLimitError", "ShellSlots"]


class ShellLimitError(WarrenError):
    """A shell was refused because one of the caps is reached; the message names the cap."""


class ShellSlots:
    """Counts open shells by environment and by tenant, and refuses one past either cap.

    Args:
        per_environment: most shells open at once on one environment.
        per_tenant: most shells one tenant may have open at once.
    """

    def __init__(self, per_environment: int, per_tenant: int) -> None:
        self.per_environment = per_environment
        self.per_tenant = per_tenant
        self._environments: Counter[tuple[str, str]] = Counter()
        self._tenants: Counter[str] = Counter()

    def open_count(self, tenant: str, environment_id: str | None = None) -> int:
        """Shells open now for the tenant, or for one of its environments."""
        if environment_id is None:
            return self._tenants[tenant]
        return self._environments[(tenant, environment_id)]

    @contextlib.contextmanager
    def hold(self, tenant: str, environment_id: str) -> Iterator[None]:
        """Hold one slot for the life of a shell (the event loop is the only caller: no lock).

        Raises:
            ShellLimitError: the environment or the tenant already has its most shells open.
        """
        key = (tenant, environment_id)
        if self._environments[key] >= self.per_environment:
            raise ShellLimitError(
                f"too many shells open on this environment ({self.per_environment} per environment)"
            )
        if self._tenants[tenant] >= self.per_tenant:
            raise ShellLimitError(f"too many shells open ({self.per_tenant} per tenant)")
        self._environments[key] += 1
        self._tenants[tenant] += 1
        try:
            yield
        finally:
            self._environments[key] -= 1
            self._tenants[tenant] -= 1
            if not self._environments[key]:
                del self._environments[key]
            if not self._tenants[tenant]:
                del self._tenants[tenant]
