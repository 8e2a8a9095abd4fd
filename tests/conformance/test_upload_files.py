"""Uploads through the google-genai SDK: the handshake's absolute URL and the real modification time.

Issue 15, defects 2 and 3: the JavaScript SDK needs an absolute `X-Goog-Upload-URL` (Google answers
one), and uploaded files reported `modified: 1970-01-01T00:00:00Z`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from google import genai

from tests.conformance.conftest import Server

pytestmark = pytest.mark.conformance


def test_the_handshake_answers_an_absolute_url_on_this_server(server: Server, client: genai.Client) -> None:
    env = client.environments.create()
    try:
        started = httpx.put(
            f"{server.url}/upload/v1beta/environments/{env.id}/files/notes.txt",
            headers={
                "x-goog-api-key": server.key,
                "x-goog-upload-protocol": "resumable",
                "x-goog-upload-command": "start",
                "x-goog-upload-header-content-length": "5",
            },
        )
        assert started.status_code == 200, started.text
        url = started.headers["x-goog-upload-url"]
        assert url.startswith(f"{server.url}/upload/v1beta/environments/{env.id}/files/notes.txt?upload_id=")
        sent = httpx.post(
            url,
            content=b"hello",
            headers={"x-goog-api-key": server.key, "x-goog-upload-command": "upload, finalize"},
        )
        assert sent.status_code == 200, sent.text
        assert [f["size_bytes"] for f in sent.json()["files"]] == ["5"], sent.text
    finally:
        client.environments.delete(id=env.id)


def test_an_uploaded_file_reports_when_it_was_uploaded(client: genai.Client) -> None:
    env = client.environments.create()
    try:
        before = datetime.now(UTC)
        uploaded = client.environments.files.upload(environment=env.id, path="data/scores.csv", file=b"a,b\n")
        listed = {f.path: f for f in client.environments.files.list(env.id, "data").files}
        top = {f.path: f for f in client.environments.files.list(env.id, "").files}
        for entry in (uploaded.files[0], listed["data/scores.csv"], top["data"]):
            assert entry.modified is not None, entry
            assert abs(entry.modified - before) < timedelta(minutes=1), (entry.path, entry.modified)
    finally:
        client.environments.delete(id=env.id)
