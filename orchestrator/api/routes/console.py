"""`/console`: the web console's built files (console/ → `make console` → `api/console_assets/`), and
`/` redirecting there.

The files are the same for everyone and hold no tenant data, so they are served without a key; every
call the console then makes is an API call with the key the user signed in with. Each answer carries
a strict policy: scripts only from this origin (no inline script, no `eval`), connections only to this
origin, no framing by any page, no MIME sniffing, no referrer. Styles allow `'unsafe-inline'` because
xterm.js sizes its cells through a `<style>` element it writes; model and sandbox text never reaches
the DOM as HTML unless DOMPurify has cleaned it, and the console forbids `style` in that HTML.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from starlette.requests import Request

__all__ = ["ASSETS", "SECURITY_HEADERS", "router"]

router = APIRouter()
"""Plain Starlette routes, not API operations: they are no part of the API's OpenAPI document (whose
every operation the two-tenant test calls), take no key and read nothing of any tenant."""

ASSETS = Path(__file__).resolve().parents[1] / "console_assets"
"""The built console (committed; rebuilt by `make console`, checked fresh by tests/console)."""

SECURITY_HEADERS = {
    "content-security-policy": "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "frame-src blob:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
"""Sent with every console file (the page's policy is the one that counts)."""

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".png": "image/png",
}
_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$")
_MISSING = "The console is not built: run `make console` (needs Node) or install a release of Warren.\n"


async def _answer(path: Path, media_type: str, cache: str) -> Response:
    try:
        body = await asyncio.to_thread(path.read_bytes)
    except (FileNotFoundError, IsADirectoryError):
        return Response(_MISSING, status_code=503, media_type="text/plain", headers=SECURITY_HEADERS)
    headers = {**SECURITY_HEADERS, "cache-control": cache}
    return Response(body, media_type=media_type, headers=headers)


async def root(_request: Request) -> Response:
    """The console is the server's front page."""
    return RedirectResponse("/console", status_code=307)


async def console_page(_request: Request) -> Response:
    """The console's single page; its routes live in the URL fragment, never on the server."""
    return await _answer(ASSETS / "index.html", "text/html; charset=utf-8", "no-cache")


async def console_asset(request: Request) -> Response:
    """A built script or stylesheet; names carry a content hash, so they are cached for good."""
    name = str(request.path_params["name"])
    suffix = Path(name).suffix
    if not _NAME.match(name) or suffix not in _TYPES:
        return Response("not found\n", status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
    return await _answer(ASSETS / "assets" / name, _TYPES[suffix], "public, max-age=31536000, immutable")


router.add_route("/", root, methods=["GET"], include_in_schema=False)
router.add_route("/console", console_page, methods=["GET", "HEAD"], include_in_schema=False)
router.add_route("/console/assets/{name}", console_asset, methods=["GET", "HEAD"], include_in_schema=False)
