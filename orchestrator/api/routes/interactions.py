"""`/{v}/interactions`: create (unary, background or SSE), get (or stream and resume), cancel, delete."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.errors import InvalidArgument
from orchestrator.api.idempotency import IdempotencyDep
from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.interactions import CreateInteraction, Interaction
from orchestrator.interactions.live import Event
from orchestrator.quotas import check_interaction_quotas

router = APIRouter(prefix="/{api_version}/interactions", tags=["interactions"])

_KEEPALIVE = b": keep-alive\n\n"


def _sse_frame(event: Event) -> bytes:
    data = json.dumps(event, separators=(",", ":"))
    return f"event: {event['event_type']}\nid: {event['event_id']}\ndata: {data}\n\n".encode()


async def _sse(events: AsyncIterator[Event | None]) -> AsyncIterator[bytes]:
    async for event in events:
        yield _KEEPALIVE if event is None else _sse_frame(event)
    yield b"data: [DONE]\n\n"


def _stream(events: AsyncIterator[Event | None]) -> StreamingResponse:
    return StreamingResponse(
        _sse(events),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


@router.post(
    "",
    response_model=Interaction,
    response_model_exclude_none=True,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The interaction, or its SSE stream"}
    },
    operation_id="interactions-create",
)
async def create_interaction(
    body: CreateInteraction,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    idempotency: IdempotencyDep,
) -> Any:
    """Create an interaction; answer when it ends, at once (`background`), or as a stream (`stream`).

    A retry with the same `Idempotency-Key` answers the first interaction the same way (a stream
    retry replays its events from the start).
    """
    request = to_wire(body)

    async def create() -> str:
        await check_interaction_quotas(services, caller.tenant)  # 429 past the token quota
        # a full tenant queue raises QueueFullError (429) before anything is stored
        return (await services.interactions.create(caller.tenant, dict(request), caller.key_id)).id

    async def replay(interaction_id: str) -> str | None:
        found = await services.store.interactions.get(caller.tenant, interaction_id)
        return None if found is None else found.id

    interaction_id = await idempotency.create("interaction", request, create, lambda made: made, replay)
    if body.stream:
        return _stream(services.interactions.events(caller.tenant, interaction_id, created=True))
    if body.background:
        return JSONResponse(await services.interactions.get(caller.tenant, interaction_id))
    return JSONResponse(await services.interactions.wait(caller.tenant, interaction_id))


@router.get(
    "/{interaction_id}",
    response_model=Interaction,
    response_model_exclude_none=True,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The interaction, or its SSE stream"}
    },
    operation_id="interactions-get",
)
async def get_interaction(
    interaction_id: str,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    stream: Annotated[bool, Query(description="Answer with the SSE stream of the interaction")] = False,
    include_input: Annotated[bool, Query(description="Include the request's input")] = False,
    last_event_id: Annotated[str | None, Query(description="Resume the stream after this event id")] = None,
) -> Any:
    """Get an interaction, or (with `stream=true`) follow its events, resuming after `last_event_id`."""
    if stream:
        after = -1
        if last_event_id is not None:
            if not last_event_id.isdigit():
                raise InvalidArgument("must be an event_id this server sent", field="last_event_id")
            after = int(last_event_id)
        events = services.interactions.events(caller.tenant, interaction_id, after)
        first = await anext(events, None)  # surfaces a 404 before the stream starts

        async def chained() -> AsyncIterator[Event | None]:
            if first is not None:
                yield first
            async for event in events:
                yield event

        return _stream(chained())
    return JSONResponse(await services.interactions.get(caller.tenant, interaction_id, include_input))


@router.post(
    "/{interaction_id}/cancel",
    response_model=Interaction,
    response_model_exclude_none=True,
    operation_id="interactions-cancel",
)
async def cancel_interaction(
    interaction_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> Any:
    """Cancel a running interaction; it ends `cancelled` and its environment stays usable."""
    return JSONResponse(await services.interactions.cancel(caller.tenant, interaction_id))


@router.delete("/{interaction_id}", operation_id="interactions-delete")
async def delete_interaction(
    interaction_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Delete an interaction with its steps and events."""
    await services.interactions.delete(caller.tenant, interaction_id)
    return {}
