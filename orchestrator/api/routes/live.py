"""`/{v}/interactions/live`: the Live WebSocket (`client.aio.interactions.connect`), refused as not supported.

Without this route the upgrade got a bare 403, which reads as an auth failure. The handshake is
answered HTTP 501 with the wire error body (`unimplemented`) instead, so the SDK raises
`APIWebSocketError` with `http_status == 501`; a server without the ASGI denial-response extension
accepts and closes with 1008 and the same reason. Nothing of any tenant is read, so no key is checked.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from orchestrator.api.deps import check_version
from orchestrator.api.errors import ApiError, Unimplemented, domain_error_response

__all__ = ["router"]

router = APIRouter(tags=["interactions"])

NOT_SUPPORTED = (
    "the Live API (interactions.connect) is not supported by this server; "
    "use interactions.create with stream=true"
)


@router.websocket("/{api_version}/interactions/live")
async def live_interactions(websocket: WebSocket, api_version: str) -> None:
    """Refuse the upgrade: 404 for an unknown version, else 501 `unimplemented`."""
    try:
        check_version(api_version)
        refusal: ApiError = Unimplemented(NOT_SUPPORTED)
    except ApiError as exc:
        refusal = exc
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(domain_error_response(refusal))
        return
    await websocket.accept()
    await websocket.close(code=1008, reason=refusal.message[:120])  # a close reason holds 123 bytes
