"""Warren's own extensions beside the wire routes: health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from orchestrator import __version__

router = APIRouter(tags=["warren"])


@router.get("/healthz", operation_id="warren-health", openapi_extra={"x-warren-extension": True})
async def health() -> dict[str, Any]:
    """Liveness: the process answers (no authentication)."""
    return {"status": "ok", "version": __version__}
