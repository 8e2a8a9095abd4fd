"""`GET /metrics`: the Prometheus exposition of Warren's registry, on the API port.

Open unless `WARREN_METRICS_TOKEN` is set; then it needs `Authorization: Bearer <token>` (compared
in constant time). API keys do not open it: metrics span tenants, so they are the operator's.
A 404 when the process counts nothing (`WARREN_METRICS=off`).
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from orchestrator.api.deps import ServicesDep
from orchestrator.api.errors import Unauthenticated
from orchestrator.errors import NotFound
from orchestrator.observability.metrics import REGISTRY, is_counting

__all__ = ["router"]

router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """The scrape; 401 without the configured bearer token."""
    if not is_counting():
        raise NotFound("metrics are off on this server (WARREN_METRICS=off)")
    token = services.settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise Unauthenticated("the metrics need the bearer token WARREN_METRICS_TOKEN")
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
