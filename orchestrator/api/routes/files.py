"""Environment files: list a folder (or stat a file) and download (`alt=media`), spec section 6.

The resumable upload is its own router (`uploads.py`), included here after these routes, so the
app serves the whole files API from this one router, in the order the routes were always declared.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.routes import uploads
from orchestrator.api.routes.workspace import checked_path, entry_body, workspace_of
from orchestrator.api.wire.files import FileList

router = APIRouter(tags=["files"])


@router.get(
    "/{api_version}/environments/{environment_id}/files/{file_path:path}",
    response_model=FileList,
    response_model_exclude_none=True,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "Listing, or bytes with alt=media"}
    },
    operation_id="files-get",
)
async def get_files(
    environment_id: str,
    file_path: str,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    alt: Annotated[str | None, Query(description="`media` downloads the file's bytes")] = None,
    recursive: Annotated[bool, Query(description="List sub-folders too")] = False,
    page_size: Annotated[int | None, Query(ge=1, le=10000, description="Most entries per page")] = None,
    page_token: Annotated[str | None, Query(description="Token from the previous page")] = None,
) -> Any:
    """List a folder (or stat a file), or download a file with `alt=media`."""
    checked_path(file_path)
    workspace = await workspace_of(services, caller.tenant, environment_id)
    if alt == "media":  # streamed: the server never holds the file (issue 13, finding 11)
        download = await workspace.download(file_path)
        headers = {"content-length": str(download.size)}
        return StreamingResponse(download.chunks, media_type="application/octet-stream", headers=headers)
    entries = await workspace.list(file_path, recursive=recursive)
    start = int(page_token) if page_token and page_token.isdigit() else 0
    size = page_size or 1000
    page = entries[start : start + size]
    body: dict[str, Any] = {"files": [entry_body(e) for e in page]}
    if start + size < len(entries):
        body["next_page_token"] = str(start + size)
    return body


@router.get(
    "/{api_version}/environments/{environment_id}/files",
    response_model=FileList,
    response_model_exclude_none=True,
    operation_id="files-list-root",
)
async def list_root(
    environment_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep, recursive: bool = False
) -> Any:
    """List the workspace's top folder."""
    return await get_files(environment_id, "", _v, caller, services, None, recursive, None, None)


router.include_router(uploads.router)
