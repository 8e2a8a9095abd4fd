"""`/{v}/credentials`: create, get, list, update, delete. Secrets are write-only and stay in the
orchestrator.

The egress proxy reads a credential's secret when it injects it into an allowlisted domain's
request (plain HTTP, or HTTPS it intercepts); no route ever returns it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import TypeAdapter, ValidationError

from orchestrator.address_allowance import AddressAllowance
from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.errors import NotFound
from orchestrator.api.wire.credentials import (
    BearerTokenCredential,
    BearerTokenUpdate,
    CreateCredentialRequest,
    Credential,
    CredentialList,
    EnvironmentVariableCredential,
    EnvironmentVariableUpdate,
    OAuth2Credential,
    OAuth2Update,
    UpdateCredentialRequest,
)
from orchestrator.config import Settings
from orchestrator.egress.oauth import oauth_secret
from orchestrator.egress.pinned import literal_refusal
from orchestrator.egress.policy import Resolver
from orchestrator.errors import InvalidArgument
from orchestrator.store.credentials import CredentialRecord

_UPDATE: TypeAdapter[UpdateCredentialRequest] = TypeAdapter(UpdateCredentialRequest)
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
    secret, config = _fields(body, services.settings)
    assert secret is not None  # every create request carries its secret
    record = await services.store.credentials.create(  # 409 `id` when taken
        caller.tenant, credential_id, body.type, secret, {k: v for k, v in config.items() if v is not None}
    )
    return _public(record)


@router.patch(
    "/{credential_id}",
    response_model=Credential,
    response_model_exclude_none=True,
    operation_id="credentials-update",
)
async def update_credential(
    credential_id: str,
    changes: Annotated[
        dict[str, Any], Body(description="An `UpdateCredentialRequest`; `type` defaults to the credential's")
    ],
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    update_mask: Annotated[str | None, Query(description="Comma-separated fields to change")] = None,
) -> dict[str, Any]:
    """Change a credential's fields (its type stays); a new secret replaces the old one at once.
    With `update_mask`, only the fields it names change. Another tenant's id is a 404 whatever the body."""
    store = services.store.credentials
    found = await store.get(caller.tenant, credential_id)
    if found is None:
        raise NotFound(f"credential {credential_id!r} not found")
    try:
        body = _UPDATE.validate_python({"type": found.type, **changes})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "body"
        raise InvalidArgument(f"{where}: {first['msg']}", field=where) from None
    if update_mask is not None:
        named = {name.strip() for name in update_mask.split(",") if name.strip()}
        known = set(type(body).model_fields) - {"type"}
        if named - known:
            raise InvalidArgument(
                f"update_mask names unknown fields: {sorted(named - known)}", field="update_mask"
            )
        body = body.model_copy(update={name: None for name in known - named})
    secret, config = _fields(body, services.settings)
    if isinstance(body, OAuth2Update) and secret is not None:  # one of the two: keep the other
        stored = await store.secret(caller.tenant, credential_id)
        if stored is None:
            raise NotFound(f"credential {credential_id!r} not found")
        secret = oauth_secret(body.client_secret, body.refresh_token, stored.secret)
    changes = {k: v for k, v in config.items() if v is not None}
    record = await store.update(caller.tenant, credential_id, body.type, secret, changes)  # 404, 400 `type`
    return _public(record)


def _fields(
    body: CreateCredentialRequest | UpdateCredentialRequest, settings: Settings
) -> tuple[str | None, dict[str, Any]]:
    """The secret (None when an update leaves it) and the non-secret settings of a request."""
    if isinstance(body, BearerTokenCredential | BearerTokenUpdate):
        config = {
            "header_name": body.header_name,
            "prefix": body.prefix,
            "trusted_domains": body.trusted_domains,
        }
        return body.token, config
    if isinstance(body, EnvironmentVariableCredential | EnvironmentVariableUpdate):
        where = body.injection_location
        locations = None if where is None else sorted({where} if isinstance(where, str) else set(where))
        return body.value, {"trusted_domains": body.trusted_domains, "injection_location": locations}
    if body.token_url is not None:
        _check_token_url(body.token_url, settings)
    config = {
        "client_id": body.client_id,
        "token_url": body.token_url,
        "scopes": body.scopes,
        "trusted_domains": body.trusted_domains,
    }
    if isinstance(body, OAuth2Credential):
        return oauth_secret(body.client_secret, body.refresh_token), config
    changed = body.client_secret is not None or body.refresh_token is not None
    return (oauth_secret(body.client_secret, body.refresh_token) if changed else None), config


def _check_token_url(url: str, settings: Settings) -> None:
    """A token endpoint the egress address rules allow: http(s), no user info, no forbidden literal."""
    resolver = Resolver(allow=[AddressAllowance.parse(a) for a in settings.egress_allow_addresses])
    try:
        why = literal_refusal(url, resolver)
    except ValueError as exc:
        raise InvalidArgument(f"token_url {exc}", field="token_url") from None
    if why is not None:
        raise InvalidArgument(f"token_url is refused: {why}", field="token_url")


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
