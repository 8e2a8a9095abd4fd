"""`/{v}/environments/{id}/ports`: preview URLs, a sandbox port opened from outside (Warren extension).

`POST .../ports {port}` opens a port (every port is closed until then), `GET .../ports` lists the
open ones, `DELETE .../ports/{port}` closes one. Requests to `.../ports/{port}/{path}` (any method)
and WebSockets there are relayed to 127.0.0.1:{port} in the environment's sandbox
(`environments/preview.py`). They take the API key like every route, or, for a browser, the signed
`warren_preview` token that opening the port returns: given in the query of a GET, it is moved into
an HttpOnly cookie scoped to that port's path and the browser is sent to the same URL without it.
Neither the key headers nor the token reach the sandbox.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, WebSocket
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.websockets import WebSocketState

from orchestrator.api.deps import CallerDep, Services, ServicesDep, VersionDep, check_version, identify_key
from orchestrator.api.errors import ApiError, InvalidArgument, RateLimited, Unauthenticated
from orchestrator.api.preview_http import RelayedResponse, request_headers
from orchestrator.api.preview_ws import bridge
from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.preview import OpenPreviewPort, PreviewPort, PreviewPortList
from orchestrator.environments.preview import PreviewService, PreviewUnreachableError
from orchestrator.interactions.snapshot import rfc3339
from orchestrator.observability.logs import TENANT
from orchestrator.store.errors import NotFoundError

__all__ = ["TOKEN", "router"]

router = APIRouter(tags=["preview"])

TOKEN = "warren_preview"  # noqa: S105 (a parameter name, not a secret)
"""The query parameter and cookie that carry a signed preview token."""

_PORTS = "/{api_version}/environments/{environment_id}/ports"
_RELAY = _PORTS + "/{port}/{path:path}"
_EXTENSION: dict[str, Any] = {"x-warren-extension": True}
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PortParam = Annotated[int, Path(ge=1, le=65535, description="A port inside the sandbox")]


def _previews(services: Services) -> PreviewService:
    if services.previews is None:
        raise InvalidArgument(
            "this server runs without a sandbox backend (--no-sandboxes)", field="environment"
        )
    return services.previews


def _prefix(api_version: str, environment_id: str, port: int) -> str:
    return f"/{api_version}/environments/{environment_id}/ports/{port}"


@router.post(_PORTS, response_model=PreviewPort, response_model_exclude_none=True, openapi_extra=_EXTENSION)
async def open_port(
    environment_id: str,
    body: OpenPreviewPort,
    request: Request,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
) -> dict[str, Any]:
    """Open a sandbox port at a preview URL (Warren extension); the answer carries a browser link."""
    token, expires = await _previews(services).open(caller.tenant, environment_id, body.port)
    url = str(request.base_url).rstrip("/") + _prefix(_v, environment_id, body.port) + "/"
    port = PreviewPort(
        port=body.port,
        url=url,
        browser_url=f"{url}?{TOKEN}={token}",
        browser_url_expire_time=rfc3339_of(expires),
    )
    return to_wire(port)


def rfc3339_of(unix_s: int) -> str:
    """An RFC 3339 UTC time for unix seconds."""
    from datetime import UTC, datetime

    return rfc3339(datetime.fromtimestamp(unix_s, UTC))


@router.get(
    _PORTS, response_model=PreviewPortList, response_model_exclude_none=True, openapi_extra=_EXTENSION
)
async def list_ports(
    environment_id: str, request: Request, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """The environment's open preview ports (Warren extension)."""
    base = str(request.base_url).rstrip("/")
    ports = await _previews(services).ports(caller.tenant, environment_id)
    listed = [PreviewPort(port=p, url=f"{base}{_prefix(_v, environment_id, p)}/") for p in ports]
    return to_wire(PreviewPortList(ports=listed))


@router.delete(_PORTS + "/{port}", openapi_extra=_EXTENSION)
async def close_port(
    environment_id: str, port: PortParam, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> dict[str, Any]:
    """Close a preview port (Warren extension); connections already open run on until they end."""
    await _previews(services).close(caller.tenant, environment_id, port)
    return {}


async def _tenant(
    services: Services, headers: Any, token: str | None, environment_id: str, port: int
) -> tuple[str, bool]:
    """The caller's tenant, and whether `Authorization` carried Warren's key (so it is not relayed)."""
    key = headers.get("x-goog-api-key")
    bearer = False
    if not key:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            key, bearer = value.strip(), True
    if key:
        return (await identify_key(services, key)).tenant, bearer
    if token:
        tenant = _previews(services).links.check(token, environment_id, port)
        if tenant is None:
            raise Unauthenticated(f"invalid or expired {TOKEN} token")
        return tenant, False
    raise Unauthenticated(
        f"missing API key: send x-goog-api-key or Authorization: Bearer (or a {TOKEN} link)"
    )


def _without_token(query: bytes) -> str:
    kept = [part for part in query.decode("latin-1").split("&") if part and not part.startswith(f"{TOKEN}=")]
    return "&".join(kept)


def _target(scope: MutableMapping[str, Any]) -> str:
    """The path and query the sandbox gets: the request's own bytes after `/ports/{port}`."""
    raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    path = "/" + raw.split("/", 6)[6]  # after /{v}/environments/{id}/ports/{port}/, as sent
    query = _without_token(scope.get("query_string", b""))
    return f"{path}?{query}" if query else path


async def relay_http(
    request: Request, api_version: str, environment_id: str, port: PortParam, path: str
) -> Response:
    """Relay this request to the port in the sandbox and stream its answer back (Warren extension)."""
    del path  # the raw path is relayed as sent
    check_version(api_version)
    services: Services = request.app.state.services
    query_token = request.query_params.get(TOKEN)
    token = query_token or request.cookies.get(TOKEN)
    tenant, bearer = await _tenant(services, request.headers, token, environment_id, port)
    TENANT.set(tenant)
    previews = _previews(services)
    await previews.check_open(tenant, environment_id, port)
    prefix = _prefix(api_version, environment_id, port)
    if query_token and request.method in ("GET", "HEAD"):  # a browser link: the token goes to a cookie
        redirect = RedirectResponse(prefix + _target(request.scope), status_code=303)
        redirect.set_cookie(
            TOKEN,
            query_token,
            max_age=previews.links.ttl_s,
            path=prefix + "/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return redirect
    headers = request_headers(request.headers.items(), drop_authorization=bearer, cookie=TOKEN, port=port)
    headers += [("x-forwarded-prefix", prefix), ("x-forwarded-proto", request.url.scheme)]
    has_body = "transfer-encoding" in request.headers or request.headers.get("content-length", "0") != "0"
    return RelayedResponse(
        lambda: previews.connect(tenant, environment_id, port),
        request.method,
        _target(request.scope),
        headers,
        has_body,
        prefix,
    )


for _method in _METHODS:
    router.add_api_route(
        _RELAY,
        relay_http,
        methods=[_method],
        operation_id=f"preview-relay_{_method.lower()}",
        openapi_extra=_EXTENSION,
        response_class=Response,
    )


@router.websocket(_RELAY)
async def relay_websocket(
    websocket: WebSocket, api_version: str, environment_id: str, port: int, path: str
) -> None:
    """Warren extension: the WebSocket at this path of the port, bridged message by message."""
    del path
    services: Services = websocket.app.state.services
    token = websocket.query_params.get(TOKEN) or websocket.cookies.get(TOKEN)
    try:
        check_version(api_version)
        if not 1 <= port <= 65535:
            raise InvalidArgument("port must be 1..65535", field="port")
        tenant, bearer = await _tenant(services, websocket.headers, token, environment_id, port)
        previews = _previews(services)
        headers = request_headers(
            websocket.headers.items(), drop_authorization=bearer, cookie=TOKEN, port=port
        )
        async with previews.connect(tenant, environment_id, port) as relay:
            url = f"ws://localhost:{port}{_target(websocket.scope)}"
            await bridge(websocket, relay, url, headers)
    except (ApiError, NotFoundError, PreviewUnreachableError) as exc:
        if websocket.client_state is WebSocketState.CONNECTING:
            await websocket.accept()  # refused with a code and a reason, as the shell route does
        await websocket.close(code=_close_code(exc), reason=str(exc)[:120])


def _close_code(exc: Exception) -> int:
    """4400, 4401, 4404, 4429 as the shell route's refusals, 4502 when the port does not answer."""
    if isinstance(exc, PreviewUnreachableError):
        return 4502
    if isinstance(exc, NotFoundError):
        return 4404
    status = {Unauthenticated: 4401, RateLimited: 4429}
    return next((code for kind, code in status.items() if isinstance(exc, kind)), 4400)
