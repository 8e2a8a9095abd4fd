"""The resumable upload of spec section 6 (Google's protocol, as google-genai speaks it).

Sessions live in `environments.uploads`; the finalize spools the chunks to a file and writes it into
the workspace off the event loop (`environments.archives`), extracting a (gzipped) tar when asked.
A failed finalize frees its session, so it never pins an upload slot (issue 13); so does a chunk
that fails (issue 15). The upload URL is absolute, built from the request's own URL (scheme from
uvicorn's proxy headers, host from `Host`), as Google answers it and the JavaScript SDK needs.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.errors import InvalidArgument, NotFound
from orchestrator.api.routes.workspace import checked_path, entry_body, environment_id_of, workspace_of
from orchestrator.api.wire.files import FileList
from orchestrator.environments.archives import spooled
from orchestrator.environments.files import FileEntry
from orchestrator.environments.uploads import UploadSession
from orchestrator.sandbox import UnsafeArchiveError

router = APIRouter()
"""Served through `files.router`, whose `files` tag these routes take (a tag here would be doubled)."""


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
    env_id = environment_id_of(environment_id)
    if await services.store.environments.get(caller.tenant, env_id) is None:
        raise NotFound(f"environment {environment_id!r} not found")
    checked_path(file_path, root_ok=extract)
    session = UploadSession(caller.tenant, env_id, file_path, overwrite, extract, size)
    upload_id = services.uploads.start(session)  # 429 past the open-upload cap, 413 past the size limit
    url = str(request.url.replace(query=f"upload_id={upload_id}"))  # absolute, as Google answers it
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
    try:
        data = await request.body()
    except BaseException:
        services.uploads.abandon(caller.tenant, upload_id)  # the client went away mid-chunk
        raise
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
    body = json.dumps({"files": [entry_body(e) for e in entries]})
    return Response(content=body, media_type="application/json", headers={"x-goog-upload-status": "final"})


async def _finalize(services: Any, tenant: str, session: UploadSession) -> list[FileEntry]:
    """Write the finished upload into the workspace; the entries it made (or replaced)."""
    workspace = await workspace_of(services, tenant, session.environment_id)
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
