"""`GET /{v}/usage` (Warren extension): the caller's tenant's tokens per day and sandboxes against its
cap, for the console's usage page. Only the caller's own tenant; the counters are the ones quotas use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.wire.usage_report import UsageReport
from orchestrator.store.models import utcnow

__all__ = ["router"]

router = APIRouter(tags=["usage"])


@router.get(
    "/{api_version}/usage",
    response_model=UsageReport,
    operation_id="warren-usage",
    openapi_extra={"x-warren-extension": True},
)
async def usage(
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=366, description="How many days back, today included")] = 30,
) -> dict[str, Any]:
    """The tenant's tokens per UTC day (days without use left out) and its running sandboxes."""
    since = utcnow().date() - timedelta(days=days - 1)
    per_day = await services.store.usage.per_day(caller.tenant, since)
    settings = services.settings
    running = 0 if services.environments is None else await services.environments.cap.running(caller.tenant)
    return {
        "days": [{**day.model_dump(exclude={"day"}), "day": day.day.isoformat()} for day in per_day],
        "sandboxes": {"running": running, "max": settings.tenant_max_sandboxes},
        "token_quota": {
            "limit": settings.tenant_token_limit,
            "window_seconds": settings.tenant_token_window_s,
        },
    }
