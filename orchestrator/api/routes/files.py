"""Environment files: list, download (`alt=media`) and the resumable upload of spec section 6."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep, sandboxes
from orchestrator.api.errors import InvalidArgument, NotFound
from orchestrator.api.wire.files import FileList
from orchestrator.environments.archives import spooled
from orchestrator.environments.files import FileEntry, FilePathError, workspace_path
from orchestrator.environments.uploads import UploadSession
from orchestrator.interactions.snapshot import rfc3339
from orchestrator.sandbox import UnsafeArchiveError
from orchestrator.store.errors import NotFoundError

router = APIRouter(tags=["files"])


def _entry(entry: FileEntry) -> dict[str, Any]:
    body: dict[str, Any] = {"name": entry.name, "path": entry.path, "type": entry.type}
    if entry.type == "file":
        body.update(size_bytes=str(entry.size_bytes), mime_type=entry.mime_type)
    else:
        body["mime_type"] = ""
    if entry.modified:
        body["modified"] = rfc3339(entry.modified)
    return body


def _checked(file_path: str, *, root_ok: bool = True) -> str:
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


def _env_id(raw: str) -> str:
    return raw.removeprefix("environments/")


async def _workspace(services: Any, tenant: str, environment_id: str) -> Any:
    try:
        return await sandboxes(services).files(tenant, _env_id(environment_id))
    except NotFoundError as exc:
        raise NotFound(f"environment {environment_id!r} not found") from exc


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
    _checked(file_path)
    workspace = await _workspace(services, caller.tenant, environment_id)
    if alt == "media":  # streamed: the server never holds the file (issue 13, finding 11)
        download = await workspace.download(file_path)
        headers = {"content-length": str(download.size)}
        return StreamingResponse(download.chunks, media_type="application/octet-stream", headers=headers)
    entries = await workspace.list(file_path, recursive=recursive)
    start = int(page_token) if page_token and page_token.isdigit() else 0
    size = page_size or 1000
    page = entries[start : start + size]
    body: dict[str, Any] = {"files": [_entry(e) for e in page]}
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


@router.put(
    "/upload/{api_version}/environments/{environment_id}/files/{file_path:path}",
    operation_id="files-upload-start",
)
async def start_upload(
    environment_id: str,
    file_path: str,
    request: Request,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    overwrite: bool = True,
    extract: bool = False,
    size: Annotated[int | None, Header(alias="x-goog-upload-header-content-length")] = None,
) -> Response:
    """Start a resumable upload; the answer's `X-Goog-Upload-URL` receives the bytes."""
    env_id = _env_id(environment_id)
    if await services.store.environments.get(caller.tenant, env_id) is None:
        raise NotFound(f"environment {environment_id!r} not found")
    _checked(file_path, root_ok=extract)
    session = UploadSession(caller.tenant, env_id, file_path, overwrite, extract, size)
    upload_id = services.uploads.start(session)  # 429 past the open-upload cap, 413 past the size limit
    url = f"{request.url.path}?upload_id={upload_id}"
    return Response(content=b"{}", media_type="application/json", headers={"x-goog-upload-url": url})


@router.post(
    "/upload/{api_version}/environments/{environment_id}/files/{file_path:path}",
    response_model=FileList,
    response_model_exclude_none=True,
    operation_id="files-upload-chunk",
)
async def upload_chunk(
    environment_id: str,
    file_path: str,
    request: Request,
    _v: VersionDep,
    caller: CallerDep,
    services: ServicesDep,
    upload_id: str,
    command: Annotated[str, Header(alias="x-goog-upload-command")] = "upload, finalize",
    offset: Annotated[int, Header(alias="x-goog-upload-offset")] = 0,
) -> Response:
    """Receive one chunk; the final one (`upload, finalize`) writes the file into the workspace."""
    data = await request.body()
    session = services.uploads.chunk(caller.tenant, upload_id, offset, data)  # 404, 400 `offset`, 413
    if "finalize" not in command:
        return Response(
            content=b"{}", media_type="application/json", headers={"x-goog-upload-status": "active"}
        )
    try:
        entries = await _finalize(services, caller.tenant, session)
    except BaseException:
        services.uploads.finish(upload_id)  # a failed upload frees its slot (issue 13)
        raise
    services.uploads.finish(upload_id)  # only now: a finalize retried after a lost answer still works
    body = json.dumps({"files": [_entry(e) for e in entries]})
    return Response(content=body, media_type="application/json", headers={"x-goog-upload-status": "final"})


async def _finalize(services: Any, tenant: str, session: UploadSession) -> list[FileEntry]:
    """Write the finished upload into the workspace; the entries it made (or replaced)."""
    workspace = await _workspace(services, tenant, session.environment_id)
    try:
        with await asyncio.to_thread(spooled, session.parts) as upload:  # never one big copy on the loop
            if session.extract:
                await workspace.extract(session.path, upload)
            else:
                await workspace.write(session.path, upload, overwrite=session.overwrite)
        entries: list[FileEntry] = await workspace.list(session.path)
    except UnsafeArchiveError as exc:  # the sandbox's refusal, blamed on the request's `file_path`
        raise InvalidArgument(str(exc), field="file_path") from exc
    return entries
