"""The per-tenant cap on sandboxes (SECURITY-CHECKLIST "Abuse / cost blow-up").

A tenant's sandboxes are those its rows say run, plus those being made or resumed right now (counted
here, in memory, under the tenant's lock), so two starts at once cannot both pass the last place.
On PostgreSQL the starts in flight are also recorded in the database under the tenant's advisory
lock (`store/sandbox_starts.py`), so two replicas' starts cannot both pass it either.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator

from orchestrator.errors import QuotaExceeded
from orchestrator.store import Store
from orchestrator.store.sandbox_starts import SandboxStarts

__all__ = ["SandboxCap"]


class SandboxCap:
    """At most `max_sandboxes` sandboxes running or being made per tenant (`WARREN_TENANT_MAX_SANDBOXES`)."""

    def __init__(self, store: Store, max_sandboxes: int) -> None:
        self.store = store
        self.max_sandboxes = max_sandboxes
        self._starting: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._tenant_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.shared = SandboxStarts(store.db) if store.db.dialect == "postgresql" else None
        """Every replica's starts in flight (PostgreSQL); None: this process is the only one (SQLite)."""

    async def _busy(self, tenant: str) -> set[str]:
        """Environments of `tenant` whose sandbox runs (per the store) or is being made or resumed."""
        busy = {env_id for env_id, count in self._starting[tenant].items() if count}
        return busy | await self.store.environments.with_running_sandbox(tenant)

    async def running(self, tenant: str) -> int:
        """How many of the tenant's sandboxes run or are being made (what the cap counts)."""
        return len(await self._busy(tenant))

    def _refuse_past_cap(self, env_id: str | None, busy: set[str]) -> None:
        if len(busy - {env_id}) >= self.max_sandboxes:
            raise QuotaExceeded(
                f"tenant sandbox limit reached: {self.max_sandboxes} sandboxes are running "
                f"(WARREN_TENANT_MAX_SANDBOXES={self.max_sandboxes}); stop or delete an environment first"
            )

    @contextlib.asynccontextmanager
    async def slot(self, tenant: str, env_id: str, *, needed: bool = True) -> AsyncIterator[None]:
        """Hold one of the tenant's places while its sandbox is made or resumed; 429 when none is free."""
        start_id = None
        if needed:
            async with self._tenant_locks[tenant]:
                if self.shared is None:
                    self._refuse_past_cap(env_id, await self._busy(tenant))
                else:

                    async def admit(elsewhere: set[str]) -> None:
                        self._refuse_past_cap(env_id, elsewhere | await self._busy(tenant))

                    start_id = await self.shared.begin(tenant, env_id, admit)
                self._starting[tenant][env_id] += 1
        try:
            yield
        finally:
            if needed:
                self._starting[tenant][env_id] -= 1
                if not self._starting[tenant][env_id]:
                    del self._starting[tenant][env_id]
                if start_id is not None and self.shared is not None:
                    await self.shared.end(start_id)

    async def check(self, tenant: str, env_id: str | None = None) -> None:
        """Raise 429 now when using `env_id` (None: a new environment) would need a sandbox past the cap.

        The API's early answer (an interaction's sandbox is made later, in the background); the
        binding check runs again, under the tenant's lock, when the sandbox is made or resumed.
        """
        if env_id is not None:
            record = await self.store.environments.get(tenant, env_id)
            if record is not None and record.sandbox_id and record.status != "stopped":
                return  # it has a running sandbox: nothing new starts
        self._refuse_past_cap(env_id, await self._busy(tenant))
