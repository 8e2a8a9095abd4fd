"""`/{v}/environments`: create (or fork), get, list, delete; stop and resume (Warren extensions).

Each environment is one sandbox with a persistent workspace.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep, sandboxes
from orchestrator.api.errors import NotFound
from orchestrator.api.idempotency import IdempotencyDep
from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.environments import (
    CreateEnvironmentRequest,
    Environment,
    EnvironmentList,
    EnvironmentMode,
)
from orchestrator.interactions.refusals import refuse_environment
from orchestrator.interactions.snapshot import rfc3339
from orchestrator.store.environment_spec import EnvironmentSpec
from orchestrator.store.environments import EnvironmentRecord
from orchestrator.store.errors import NotFoundError

router = APIRouter(prefix="/{api_version}/environments", tags=["environments"])

_ECHOED = ("mode", "network", "sources", "custom_config")


def environment_body(record: EnvironmentRecord) -> dict[str, Any]:
    """The wire Environment for a stored one."""
    body: dict[str, Any] = {
        "id": record.id,
        "status": "expired" if record.status in ("expired", "deleted") else "active",
        "created": rfc3339(record.created),
        "updated": rfc3339(record.updated),
        "last_accessed": rfc3339(record.last_accessed),
    }
    body.update(record.spec.model_dump(include=set(_ECHOED), exclude_none=True))
    if record.warren_usage is not None:
        body["warren_usage"] = record.warren_usage
    return body


@router.post(
    "", response_model=Environment, response_model_exclude_none=True, operation_id="environments-create"
)
async def create_environment(
    body: CreateEnvironmentRequest,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """Create an environment: sources are checked and repositories cloned now; the sandbox comes later.

    With `from_environment`, the new environment starts as a copy of that one's workspace (same
    tenant; 404 otherwise) and diverges from then on.
    """
    refuse_environment(to_wire(body), "")  # self_hosted settings: 400 naming `mode` and the rest
    parent = (body.from_environment or "").removeprefix("environments/")
    if parent and await services.store.environments.get(caller.tenant, parent) is None:
        raise NotFound(f"environment {parent!r} not found", field="from_environment")
    service = sandboxes(services)
    spec = to_wire(body)
    settings = EnvironmentSpec(**{k: v for k, v in spec.items() if k != "from_environment"})

    async def create() -> EnvironmentRecord:
        try:
            # a bad source raises SourceError (400)
            return await service.create(caller.tenant, settings, from_environment=body.from_environment)
        except NotFoundError as exc:  # the parent was deleted meanwhile
            raise NotFound(f"environment {parent!r} not found", field="from_environment") from exc

    async def replay(environment_id: str) -> EnvironmentRecord | None:
        return await services.store.environments.get(caller.tenant, environment_id)

    record = await idempotency.create("environment", spec, create, lambda made: made.id, replay)
    return environment_body(record)


@router.get(
    "", response_model=EnvironmentList, response_model_exclude_none=True, operation_id="environments-list"
)
async def list_environments(
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    page_size: Annotated[int | None, Query(ge=1, le=1000, description="Most environments per page")] = None,
    page_token: Annotated[str | None, Query(description="Token from the previous page")] = None,
    mode: Annotated[EnvironmentMode | None, Query(description="Only environments of this mode")] = None,
) -> dict[str, Any]:
    """List this tenant's environments, oldest first; every one is `on_demand` (a `self_hosted` one
    cannot be created here), so `mode=self_hosted` lists none."""
    if mode == "self_hosted":
        return {"environments": []}
    page = await services.store.environments.list(caller.tenant, page_size=page_size, page_token=page_token)
    body: dict[str, Any] = {"environments": [environment_body(r) for r in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body


@router.get(
    "/{environment_id}",
    response_model=Environment,
    response_model_exclude_none=True,
    operation_id="environments-get",
)
async def get_environment(
    environment_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Get an environment by id."""
    record = await services.store.environments.get(caller.tenant, environment_id)
    if record is None:
        raise NotFound(f"environment {environment_id!r} not found")
    return environment_body(record)


@router.delete("/{environment_id}", operation_id="environments-delete")
async def delete_environment(
    environment_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Delete an environment: its sandbox and workspace are destroyed."""
    await sandboxes(services).delete(caller.tenant, environment_id)  # 404 when it is not there
    return {}


_EXTENSION: dict[str, Any] = {"x-warren-extension": True}


@router.post(
    "/{environment_id}:stop",
    response_model=Environment,
    response_model_exclude_none=True,
    operation_id="environments-stop",
    openapi_extra=_EXTENSION,
)
async def stop_environment(
    environment_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Stop an environment's sandbox now, keeping `/workspace`; the next use resumes it (Warren extension)."""
    await sandboxes(services).stop(caller.tenant, environment_id)  # 404 when it is not there
    return await get_environment(environment_id, _v, caller, services)


@router.post(
    "/{environment_id}:resume",
    response_model=Environment,
    response_model_exclude_none=True,
    operation_id="environments-resume",
    openapi_extra=_EXTENSION,
)
async def resume_environment(
    environment_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Start an environment's sandbox (creating it if it has none), `/workspace` intact (Warren extension)."""
    await sandboxes(services).sandbox(caller.tenant, environment_id)  # 404 when it is not there
    return await get_environment(environment_id, _v, caller, services)
