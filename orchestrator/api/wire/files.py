"""Environment files (spec section 6): one listing entry and a page of them."""

from __future__ import annotations

from typing import Literal

from .common import WireModel
from .scalars import Int64, Timestamp

__all__ = ["EnvironmentFile", "FileList"]


class EnvironmentFile(WireModel):
    """A file or directory in an environment's workspace."""

    name: str | None = None
    """The last path segment."""
    path: str | None = None
    """The path relative to the workspace."""
    type: Literal["file", "directory"] | None = None
    """A file or a directory."""
    size_bytes: Int64 | None = None
    """Size of a file, in bytes."""
    mime_type: str | None = None
    """The file's media type; empty for directories."""
    created: Timestamp | None = None
    """When it was created."""
    modified: Timestamp | None = None
    """When it last changed."""


class FileList(WireModel):
    """A page of a listing, also the final body of an upload (`GetEnvironmentFilesResponse`)."""

    files: list[EnvironmentFile] | None = None
    """The entries; a single entry when the path is a file."""
    next_page_token: str | None = None
    """Pass as `page_token` for the next page; absent on the last."""
