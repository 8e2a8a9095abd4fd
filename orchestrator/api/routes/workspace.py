"""What the file routes share: the `file_path` check, the environment's workspace, an entry's wire body.

Browsing (`files.py`) and the resumable upload (`uploads.py`) are two routers over the same
workspace; these helpers keep the path rule and the 404 in one place for both.
"""

from __future__ import annotations

from typing import Any

from orchestrator.api.deps import sandboxes
from orchestrator.api.errors import NotFound
from orchestrator.environments.files import FileEntry, FilePathError, workspace_path
from orchestrator.interactions.snapshot import rfc3339
from orchestrator.store.errors import NotFoundError

__all__ = ["checked_path", "entry_body", "environment_id_of", "workspace_of"]


def entry_body(entry: FileEntry) -> dict[str, Any]:
    """The wire `EnvironmentFile` of a workspace entry (sizes as strings, as the spec has them)."""
    body: dict[str, Any] = {"name": entry.name, "path": entry.path, "type": entry.type}
    if entry.type == "file":
        body.update(size_bytes=str(entry.size_bytes), mime_type=entry.mime_type)
    else:
        body["mime_type"] = ""
    if entry.modified:
        body["modified"] = rfc3339(entry.modified)
    return body


def checked_path(file_path: str, *, root_ok: bool = True) -> str:
    """`file_path` when it is a safe path relative to the workspace; else 400 naming `file_path`.

    The workspace helpers re-root an absolute path under `/workspace`; the API refuses it instead
    (SECURITY-CHECKLIST "Path traversal": reject absolute paths, `..` and NUL).
    """
    if file_path.startswith("/"):
        raise FilePathError("path must be relative to the workspace, not absolute")
    if not root_ok and not file_path.strip("/"):
        raise FilePathError("a file path is required")
    workspace_path(file_path)
    return file_path


def environment_id_of(raw: str) -> str:
    """The environment id of a path parameter, which may carry the `environments/` resource prefix."""
    return raw.removeprefix("environments/")


async def workspace_of(services: Any, tenant: str, environment_id: str) -> Any:
    """The environment's `WorkspaceFiles` (sandbox started), or 404 naming the caller's spelling."""
    try:
        return await sandboxes(services).files(tenant, environment_id_of(environment_id))
    except NotFoundError as exc:
        raise NotFound(f"environment {environment_id!r} not found") from exc
