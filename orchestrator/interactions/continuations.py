"""Continuations of one interaction are checked and stored one at a time.

The intake refuses a second answer to an approval request when another interaction already continues
the paused one (`Intake._check_results`); that check reads the store, so two answers sent at once
would both pass it unless the second waits until the first is stored. This lock makes it wait, in
this process, so the second gets the check's answer; across replicas the store refuses the second
answer's create by itself (`store/approval_answers.py`), with the same 400.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

__all__ = ["Continuations"]


class Continuations:
    """A lock per continued interaction, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, tenant: str, previous_id: object) -> AsyncIterator[None]:
        """Hold the lock of `previous_id` (a create's `previous_interaction_id`; none for anything else)."""
        if not isinstance(previous_id, str):
            yield
            return
        key = (tenant, previous_id)
        lock, users = self._held.get(key, (asyncio.Lock(), 0))
        self._held[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._held[key]
            if users == 1:
                del self._held[key]
            else:
                self._held[key] = (lock, users - 1)
