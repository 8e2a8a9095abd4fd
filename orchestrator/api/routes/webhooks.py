"""`/{v}/webhooks`: create, list, get, update, delete, `:ping`, `:rotateSigningSecret`, and the log.

A signing secret is returned once (create, rotate). `GET …/{id}/deliveries` (a Warren extension)
is the delivery log: each event, its state and every attempt's status or error; `-` as the id
lists the deliveries to requests' `webhook_config` URIs, whose secret is
`GET /{v}/webhooks:dynamicSigningSecret`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.errors import FailedPrecondition, InvalidArgument, NotFound
from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.webhooks import (
    CreateWebhook,
    DeliveryAttempt,
    RotateSigningSecret,
    SigningSecret,
    UpdateWebhook,
    Webhook,
    WebhookDelivery,
)
from orchestrator.store.webhook_outbox import DeliveryRecord
from orchestrator.store.webhooks import WebhookRecord
from orchestrator.webhooks.service import WebhookService

router = APIRouter(prefix="/{api_version}/webhooks", tags=["webhooks"])

PageSize = Annotated[int | None, Query(ge=1, le=1000, description="Most items per page")]
PageToken = Annotated[str | None, Query(max_length=512, description="Token from the previous page")]
_MASKABLE = {"name": "name", "uri": "uri", "subscribed_events": "events", "state": "state"}


def _service(services: Any) -> WebhookService:
    if services.webhooks is None:
        raise FailedPrecondition("webhooks are not enabled on this server")
    service: WebhookService = services.webhooks
    return service


def _public(record: WebhookRecord, new_secret: str | None = None) -> dict[str, Any]:
    secrets = [SigningSecret(truncated_secret=s.truncated, expire_time=s.expire) for s in record.secrets]
    return to_wire(
        Webhook(
            id=record.id,
            name=record.name,
            uri=record.uri,
            subscribed_events=record.events,
            state=record.state,
            signing_secrets=secrets,
            new_signing_secret=new_secret,
            create_time=record.created,
            update_time=record.updated,
        )
    )


def _delivery(record: DeliveryRecord) -> dict[str, Any]:
    return to_wire(
        WebhookDelivery(
            id=record.id,
            webhook_id=record.webhook_id,
            uri=record.uri,
            message_id=record.message_id,
            event_type=record.event_type,
            state=record.state,
            attempts=[DeliveryAttempt(**entry) for entry in record.log],
            next_attempt_time=record.next_attempt if record.state == "pending" else None,
            create_time=record.created,
        )
    )


@router.post("", operation_id="webhooks-create")
async def create_webhook(
    body: Annotated[CreateWebhook, Body()], _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Make a webhook; the answer carries `new_signing_secret`, shown this once."""
    record, secret = await _service(services).create(
        caller.tenant, uri=body.uri, events=list(dict.fromkeys(body.subscribed_events)), name=body.name
    )
    return _public(record, secret)


@router.get("", operation_id="webhooks-list")
async def list_webhooks(
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> dict[str, Any]:
    """This tenant's webhooks, oldest first."""
    _service(services)
    page = await services.store.webhooks.list(caller.tenant, page_size=page_size, page_token=page_token)
    answer: dict[str, Any] = {"webhooks": [_public(r) for r in page.items]}
    if page.next_page_token:
        answer["next_page_token"] = page.next_page_token
    return answer


@router.get(":dynamicSigningSecret", operation_id="webhooks-dynamic-secret")
async def dynamic_secret(_v: VersionDep, caller: CallerDep, services: ServicesDep) -> dict[str, Any]:
    """Warren extension: the secret that signs deliveries to this tenant's `webhook_config` URIs."""
    return {"secret": _service(services).dynamic_secret(caller.tenant)}


@router.get("/{webhook_id}", operation_id="webhooks-get")
async def get_webhook(
    webhook_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """One webhook (its secrets truncated)."""
    _service(services)
    record = await services.store.webhooks.get(caller.tenant, webhook_id)
    if record is None:
        raise NotFound(f"webhook {webhook_id!r} not found")
    return _public(record)


@router.patch("/{webhook_id}", operation_id="webhooks-update")
async def update_webhook(
    webhook_id: str,
    body: Annotated[UpdateWebhook, Body()],
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    update_mask: Annotated[str | None, Query(max_length=256, description="Fields to change")] = None,
) -> dict[str, Any]:
    """Change the fields `update_mask` names (without one: the fields the body sets)."""
    names = (
        [n.strip() for n in update_mask.split(",") if n.strip()]
        if update_mask
        else sorted(body.model_fields_set)
    )
    change: dict[str, Any] = {}
    for name in names:
        if name not in _MASKABLE:
            raise InvalidArgument(
                f"update_mask: {name!r} is not one of {sorted(_MASKABLE)}", field="update_mask"
            )
        value = getattr(body, name)
        if value is None and name != "name":
            raise InvalidArgument(f"{name}: required when update_mask names it", field=name)
        change[_MASKABLE[name]] = value
    if not update_mask and (unmasked := body.model_fields_set - set(names)):
        raise InvalidArgument(f"{sorted(unmasked)[0]}: not named in update_mask", field=sorted(unmasked)[0])
    return _public(await _service(services).update(caller.tenant, webhook_id, change))


@router.delete("/{webhook_id}", operation_id="webhooks-delete")
async def delete_webhook(
    webhook_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Delete a webhook; its undelivered events are dropped."""
    _service(services)
    await services.store.webhooks.delete(caller.tenant, webhook_id)
    return {}


@router.post("/{webhook_id}:ping", operation_id="webhooks-ping")
async def ping_webhook(
    webhook_id: str,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    """Queue a signed `webhook.ping` event to the webhook; its outcome shows in the delivery log."""
    if body:
        raise InvalidArgument(f"{sorted(body)[0]}: ping takes no fields", field=sorted(body)[0])
    await _service(services).ping(caller.tenant, webhook_id)
    return {}


@router.post("/{webhook_id}:rotateSigningSecret", operation_id="webhooks-rotate-signing-secret")
async def rotate_signing_secret(
    webhook_id: str,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    body: Annotated[RotateSigningSecret | None, Body()] = None,
) -> dict[str, Any]:
    """A new signing secret, shown this once; older ones stop signing now or after 24 hours."""
    now = body is not None and body.revocation_behavior == "revoke_previous_secrets_immediately"
    return {"secret": await _service(services).rotate(caller.tenant, webhook_id, immediately=now)}


@router.get("/{webhook_id}/deliveries", operation_id="webhooks-deliveries")
async def list_deliveries(
    webhook_id: str,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> dict[str, Any]:
    """Warren extension: the delivery log, oldest first (`-`: the `webhook_config` URIs' log)."""
    service = _service(services)
    hook = None if webhook_id == "-" else webhook_id
    if hook is not None and await services.store.webhooks.get(caller.tenant, hook) is None:
        raise NotFound(f"webhook {webhook_id!r} not found")
    page = await service.deliveries(caller.tenant, hook, page_size=page_size, page_token=page_token)
    answer: dict[str, Any] = {"deliveries": [_delivery(r) for r in page.items]}
    if page.next_page_token:
        answer["next_page_token"] = page.next_page_token
    return answer
