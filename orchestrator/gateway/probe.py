"""The one shape of a provider's `check()`: a single short attempt whose failure is data.

`warren models` checks every configured provider in turn, so a check never retries, gives up
after 15 s, and turns a `ProviderError` into a failed `ProviderCheck` line instead of raising.
Each provider only supplies the cheap call that proves its key, URL and model name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from orchestrator.gateway.errors import ProviderError
from orchestrator.gateway.provider import ProviderCheck
from orchestrator.gateway.retry import Retrier, RetryPolicy

__all__ = ["CHECK_POLICY", "probe"]

CHECK_POLICY = RetryPolicy(max_attempts=1, call_timeout_s=15, deadline_s=15)
"""One attempt of at most 15 s: a check reports, it does not insist."""


async def probe(provider: str, model: str, attempt: Callable[[], Awaitable[str]]) -> ProviderCheck:
    """Run `attempt` (which returns the success detail) once under `CHECK_POLICY`."""
    try:
        detail = await Retrier(CHECK_POLICY).run(provider, attempt)
    except ProviderError as exc:
        return ProviderCheck(provider=provider, model=model, ok=False, detail=str(exc))
    return ProviderCheck(provider=provider, model=model, ok=True, detail=detail)
