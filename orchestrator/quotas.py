"""Per-tenant quotas checked before an interaction is created (SECURITY-CHECKLIST "Abuse / cost blow-up").

Two quotas, both answered with 429 `quota_exceeded` naming the limit and its setting:

- **tokens**: a tenant's model tokens over a rolling window (`WARREN_TENANT_TOKEN_LIMIT`, default 0 =
  unlimited; `WARREN_TENANT_TOKEN_WINDOW_S`, default 86400). Counted from the usage rows the
  `UsageMeter` writes per tenant, key and UTC day, plus what it has not flushed yet. Day rows cannot
  say when in a day a token was used, so a past day the window touches is weighted by the part of it
  inside the window (a sliding-window counter), and today always counts whole. An interaction's
  tokens are written once it ends, so the check made before each model call of a running agent
  interaction (`in_run_token_quota`, called by the runner hub) adds the tokens of the tenant's
  running turns: a tenant past its quota gets no further model call, and the interaction ends
  `budget_exceeded` with the reason.
- **sandboxes**: an agent interaction that will need a new or resumed sandbox is refused at create
  time when the tenant already has `WARREN_TENANT_MAX_SANDBOXES` running (checked where its
  environment is chosen, `SandboxAgentRunner.prepare`, before anything is stored);
  `EnvironmentService` enforces the same cap again, under the tenant's lock, when the sandbox is
  actually made.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from orchestrator.errors import QuotaExceeded
from orchestrator.interactions.usage import UsageMeter
from orchestrator.store import Store

if TYPE_CHECKING:
    from orchestrator.config import Settings
    from orchestrator.interactions.service import InteractionService

__all__ = ["check_interaction_quotas", "check_token_quota", "in_run_token_quota", "tokens_used"]


class Services(Protocol):
    """The part of the API's services the quota checks read (a port, so this module never imports `api`)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> Store: ...
    @property
    def interactions(self) -> InteractionService: ...


async def tokens_used(
    store: Store, meter: UsageMeter | None, tenant: str, window_s: float, now: datetime | None = None
) -> float:
    """The tenant's model tokens in the `window_s` **seconds** before `now` (see the module notes)."""
    now = now or datetime.now(UTC)
    start = now - timedelta(seconds=window_s)
    first_day = start.date()
    recent = await store.usage.totals(tenant, since=first_day + timedelta(days=1))
    oldest = await store.usage.totals(tenant, since=first_day, until=first_day)
    day_end = datetime.combine(first_day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    # a past day counts for the part of it inside the window; today (a window shorter than the time
    # since midnight) counts whole: erring towards refusing, as a cost cap should
    inside = 1.0 if day_end > now else (day_end - start).total_seconds() / 86400.0
    # counted in memory, written within a second: count it now
    pending = 0 if meter is None else meter.pending_tokens(tenant)
    return recent.total_tokens + oldest.total_tokens * inside + pending


async def check_token_quota(
    store: Store, meter: UsageMeter | None, tenant: str, limit: int, window_s: float
) -> None:
    """Raise `QuotaExceeded` (429) when the tenant used `limit` or more tokens in the window (0: no limit)."""
    if limit <= 0:
        return
    used = await tokens_used(store, meter, tenant, window_s)
    if used >= limit:
        raise QuotaExceeded(
            f"tenant token quota exhausted: {int(used)} of {limit} tokens used in the last "
            f"{window_s:g} s (WARREN_TENANT_TOKEN_LIMIT={limit}, WARREN_TENANT_TOKEN_WINDOW_S={window_s:g})"
        )


def in_run_token_quota(
    store: Store, meter: UsageMeter, limit: int, window_s: float
) -> Callable[[str, int], Awaitable[str | None]] | None:
    """The check the runner hub makes before each model call (None when there is no quota, 0).

    It answers why the tenant may not make another call, counting `in_flight` tokens of its running
    turns besides what is stored and metered, or None.
    """
    if limit <= 0:
        return None

    async def check(tenant: str, in_flight: int) -> str | None:
        used = await tokens_used(store, meter, tenant, window_s) + in_flight
        if used < limit:
            return None
        return (
            f"tenant token quota exhausted: {int(used)} of {limit} tokens used in the last {window_s:g} s, "
            f"running interactions included (WARREN_TENANT_TOKEN_LIMIT={limit})"
        )

    return check


async def check_interaction_quotas(services: Services, tenant: str) -> None:
    """The tenant's token quota, checked before a new interaction is created (the sandbox cap is
    checked where the interaction's environment is chosen).

    Raises:
        QuotaExceeded: the token quota is used up.
    """
    settings = services.settings
    meter = services.interactions.usage
    await check_token_quota(
        services.store, meter, tenant, settings.tenant_token_limit, settings.tenant_token_window_s
    )
