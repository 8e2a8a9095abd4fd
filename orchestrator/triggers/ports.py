"""What the trigger service needs from the rest of the server, as small callables composed in `compose`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from orchestrator.store.trigger_executions import ExecutionRecord

__all__ = ["Clock", "ExecutionHook", "QuotaCheck"]

Clock = Callable[[], datetime]
"""The current aware UTC time; tests pass a fake one and call `tick()` themselves."""

ExecutionHook = Callable[[ExecutionRecord], Awaitable[None]]
"""Called once when an execution ends (completed, failed, timed_out), e.g. to notify webhooks."""

QuotaCheck = Callable[[str], Awaitable[None]]
"""Raises (a `DomainError`) when the tenant may not start an interaction now (token quota)."""
