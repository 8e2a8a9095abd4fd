"""`GET /{v}/interactions` and `GET /{v}/whoami`: Warren extensions for clients that browse (the console).

Google's Interactions API has no list call; Warren's lists the caller's interactions without their
steps, filtered by status or agent, oldest first like the other lists or newest first, paged by the
same opaque keyset tokens. `whoami` names the tenant a key belongs to, so a client can show it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.wire.interactions import InteractionStatus
from orchestrator.api.wire.listing import CallerInfo, InteractionList
from orchestrator.interactions.snapshot import snapshot

__all__ = ["router"]

router = APIRouter(tags=["interactions"])

_EXTENSION: dict[str, Any] = {"x-warren-extension": True}


@router.get(
    "/{api_version}/interactions",
    response_model=InteractionList,
    response_model_exclude_none=True,
    operation_id="interactions-list",
    openapi_extra=_EXTENSION,
)
async def list_interactions(
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    page_size: Annotated[int | None, Query(ge=1, le=1000, description="Most interactions per page")] = None,
    page_token: Annotated[str | None, Query(description="Token from the previous page")] = None,
    status: Annotated[InteractionStatus | None, Query(description="Only interactions in this status")] = None,
    agent: Annotated[str | None, Query(max_length=256, description="Only interactions of this agent")] = None,
    order: Annotated[
        Literal["oldest", "newest"], Query(description="`newest` lists the latest first")
    ] = "oldest",
) -> dict[str, Any]:
    """List this tenant's interactions without their steps (Warren extension)."""
    page = await services.store.interactions.list(
        caller.tenant,
        page_size=page_size,
        page_token=page_token,
        status=status,
        agent=agent,
        newest_first=order == "newest",
    )
    body: dict[str, Any] = {"interactions": [snapshot(record) for record in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body


@router.get(
    "/{api_version}/whoami",
    response_model=CallerInfo,
    operation_id="warren-whoami",
    openapi_extra=_EXTENSION,
)
async def whoami(_v: VersionDep, caller: CallerDep) -> dict[str, Any]:
    """The tenant and key id this request authenticated as (Warren extension)."""
    return {"tenant": caller.tenant, "api_key_id": caller.key_id}
