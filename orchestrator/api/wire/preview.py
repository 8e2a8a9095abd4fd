"""Preview ports on the wire (a Warren extension): open a sandbox port, list and close them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .common import WireModel

__all__ = ["OpenPreviewPort", "PreviewPort", "PreviewPortList", "PreviewPortNumber"]

PreviewPortNumber = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port inside the sandbox."""


class OpenPreviewPort(WireModel):
    """The body of `POST /{v}/environments/{id}/ports`."""

    port: PreviewPortNumber
    """The port a process listens on at 127.0.0.1 inside the sandbox."""


class PreviewPort(WireModel):
    """An open port and the URLs that reach it."""

    port: PreviewPortNumber
    """The port inside the sandbox."""
    url: str
    """The preview URL; send the API key in `x-goog-api-key` (or `Authorization: Bearer`)."""
    browser_url: str | None = None
    """The preview URL with a signed `warren_preview` token, for a browser (given when the port is opened)."""
    browser_url_expire_time: str | None = None
    """When the token in `browser_url` stops working (RFC 3339)."""


class PreviewPortList(WireModel):
    """The open ports of an environment."""

    ports: list[PreviewPort] = Field(default_factory=list)
    """Ascending by port."""
