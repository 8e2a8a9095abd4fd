"""`/{v}/triggers`: create, list, get, update (pause / resume), delete, run now, list executions."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from orchestrator.api.deps import CallerDep, Services, ServicesDep, VersionDep
from orchestrator.api.errors import InvalidArgument
from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.triggers import (
    CreateTrigger,
    Trigger,
    TriggerExecution,
    TriggerExecutionList,
    TriggerList,
    UpdateTrigger,
)
from orchestrator.store.trigger_executions import ExecutionRecord
from orchestrator.store.triggers import TriggerRecord
from orchestrator.triggers.service import TriggerService

router = APIRouter(prefix="/{api_version}/triggers", tags=["triggers"])

_FILTER = re.compile(r'\s*(?:status|state)\s*=\s*"?(active|paused|error)"?\s*', re.IGNORECASE)

PageSize = Annotated[int | None, Query(ge=1, le=1000, description="Most items per page")]
PageToken = Annotated[str | None, Query(max_length=512, description="Token from the previous page")]


def _service(services: Services) -> TriggerService:
    if services.triggers is None:
        raise InvalidArgument("this server runs without triggers", field="trigger")
    return services.triggers


def _trigger(record: TriggerRecord) -> dict[str, Any]:
    spec = record.spec
    return to_wire(
        Trigger(
            id=record.id,
            interaction=spec["interaction"],
            schedule=spec["schedule"],
            time_zone=spec["time_zone"],
            display_name=spec.get("display_name"),
            environment_id=spec.get("environment_id"),
            execution_timeout_seconds=spec.get("execution_timeout_seconds"),
            max_consecutive_failures=spec.get("max_consecutive_failures"),
            status=record.status,  # the store writes only these three
            consecutive_failure_count=record.consecutive_failure_count,
            next_run_time=record.next_run_time,
            last_run_time=record.last_run_time,
            last_pause_time=record.last_pause_time,
            last_resume_time=record.last_resume_time,
            previous_interaction_id=record.previous_interaction_id,
            create_time=record.created,
            update_time=record.updated,
        )
    )


def _execution(record: ExecutionRecord) -> dict[str, Any]:
    return to_wire(
        TriggerExecution(
            id=record.id,
            trigger_id=record.trigger_id,
            status=record.status,  # the store writes only these five
            interaction_id=record.interaction_id,
            environment_id=record.environment_id,
            error=(record.error or {}).get("message"),
            scheduled_time=record.scheduled_time,
            start_time=record.start_time,
            end_time=record.end_time,
        )
    )


@router.post("", response_model=Trigger, response_model_exclude_none=True, operation_id="triggers-create")
async def create_trigger(
    body: Annotated[CreateTrigger, Body()], _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Create an active trigger; its first run is the schedule's next time after now."""
    return _trigger(await _service(services).create(caller.tenant, to_wire(body)))


@router.get("", response_model=TriggerList, response_model_exclude_none=True, operation_id="triggers-list")
async def list_triggers(
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    filter: Annotated[str | None, Query(max_length=100, description='e.g. status="paused"')] = None,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> dict[str, Any]:
    """List this tenant's triggers, oldest first; `filter` may select one status."""
    status = None
    if filter:
        match = _FILTER.fullmatch(filter)
        if match is None:
            raise InvalidArgument(
                'must be status="active", status="paused" or status="error"', field="filter"
            )
        status = match.group(1).lower()
    page = await _service(services).list(caller.tenant, status, page_size, page_token)
    body: dict[str, Any] = {"triggers": [_trigger(r) for r in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body


@router.get(
    "/{trigger_id}", response_model=Trigger, response_model_exclude_none=True, operation_id="triggers-get"
)
async def get_trigger(
    trigger_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Get a trigger."""
    return _trigger(await _service(services).get(caller.tenant, trigger_id))


@router.patch(
    "/{trigger_id}", response_model=Trigger, response_model_exclude_none=True, operation_id="triggers-update"
)
async def update_trigger(
    trigger_id: str,
    body: Annotated[UpdateTrigger, Body()],
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
) -> dict[str, Any]:
    """Rename, pause or resume a trigger."""
    record = await _service(services).update(caller.tenant, trigger_id, body.display_name, body.status)
    return _trigger(record)


@router.delete("/{trigger_id}", operation_id="triggers-delete")
async def delete_trigger(
    trigger_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Delete a trigger and its executions (the interactions it created stay)."""
    await _service(services).delete(caller.tenant, trigger_id)
    return {}


@router.post(
    "/{trigger_id}/executions",
    response_model=TriggerExecution,
    response_model_exclude_none=True,
    operation_id="triggers-run",
)
async def run_trigger(
    trigger_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Run the trigger now (whatever its status); the execution is answered as it starts."""
    return _execution(await _service(services).run(caller.tenant, trigger_id))


@router.get(
    "/{trigger_id}/executions",
    response_model=TriggerExecutionList,
    response_model_exclude_none=True,
    operation_id="triggers-list-executions",
)
async def list_executions(
    trigger_id: str,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> dict[str, Any]:
    """List a trigger's executions, oldest first."""
    page = await _service(services).executions(caller.tenant, trigger_id, page_size, page_token)
    body: dict[str, Any] = {"trigger_executions": [_execution(r) for r in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body
