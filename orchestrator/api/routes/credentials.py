"""`/{v}/credentials`: create, get, list, delete. Secrets are write-only and stay in the orchestrator.

The egress proxy reads a credential's secret when it injects it into an allowlisted domain's
request (plain HTTP, or HTTPS it intercepts); no route ever returns it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.errors import NotFound
from orchestrator.api.wire.credentials import (
    BearerTokenCredential,
    CreateCredentialRequest,
    Credential,
    CredentialList,
)
from orchestrator.store.credentials import CredentialRecord

router = APIRouter(prefix="/{api_version}/credentials", tags=["credentials"])


def _public(record: CredentialRecord) -> dict[str, Any]:
    return Credential(
        id=record.id, type=record.type, create_time=record.created, update_time=record.updated
    ).model_dump(mode="json", exclude_none=True)


@router.post(
    "", response_model=Credential, response_model_exclude_none=True, operation_id="credentials-create"
)
async def create_credential(
    body: Annotated[CreateCredentialRequest, Body()], _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Store a credential; the answer shows its id and type, never the secret."""
    credential_id = body.id or f"cred_{secrets.token_hex(8)}"
    config: dict[str, Any]
    if isinstance(body, BearerTokenCredential):
        secret = body.token
        config = {
            "header_name": body.header_name,
            "prefix": body.prefix,
            "trusted_domains": body.trusted_domains,
        }
    else:
        where = body.injection_location
        locations = sorted({where} if isinstance(where, str) else set(where))
        secret = body.value
        config = {"trusted_domains": body.trusted_domains, "injection_location": locations or ["header"]}
    record = await services.store.credentials.create(  # 409 `id` when taken
        caller.tenant,
        credential_id,
        body.type,
        secret,
        {k: v for k, v in config.items() if v is not None},
    )
    return _public(record)


@router.get(
    "", response_model=CredentialList, response_model_exclude_none=True, operation_id="credentials-list"
)
async def list_credentials(
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    page_size: Annotated[int | None, Query(ge=1, le=1000, description="Most credentials per page")] = None,
    page_token: Annotated[str | None, Query(description="Token from the previous page")] = None,
) -> dict[str, Any]:
    """List this tenant's credentials (metadata only)."""
    page = await services.store.credentials.list(caller.tenant, page_size=page_size, page_token=page_token)
    body: dict[str, Any] = {"credentials": [_public(r) for r in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body


@router.get(
    "/{credential_id}",
    response_model=Credential,
    response_model_exclude_none=True,
    operation_id="credentials-get",
)
async def get_credential(
    credential_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Get a credential's metadata by id."""
    record = await services.store.credentials.get(caller.tenant, credential_id)
    if record is None:
        raise NotFound(f"credential {credential_id!r} not found")
    return _public(record)


@router.delete("/{credential_id}", operation_id="credentials-delete")
async def delete_credential(
    credential_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Delete a credential; entries that name it stop getting it at once."""
    await services.store.credentials.delete(caller.tenant, credential_id)  # 404 when it is not there
    return {}
