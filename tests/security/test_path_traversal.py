"""File routes refuse `..`, NUL, backslashes and absolute paths with a 400 naming `file_path`.

SECURITY-CHECKLIST "Path traversal in file API": resolve under the workspace; reject absolute
paths, `..` and NUL. Paths are percent-encoded, as a client that bypasses URL normalisation sends them.
"""

from __future__ import annotations

import io
import tarfile

import pytest

from tests.unit.api_app.conftest import App

pytestmark = [pytest.mark.security, pytest.mark.integration]

V = "/v1beta"

BAD_PATHS = {
    "dot-dot": "%2E%2E/%2E%2E/etc/passwd",
    "dot-dot inside": "a/%2E%2E/%2E%2E/%2E%2E/etc/shadow",
    "NUL": "a%00b.txt",
    "absolute": "%2Fetc/passwd",
    "backslash": "..%5C..%5Cetc",
}


@pytest.mark.parametrize("path", BAD_PATHS.values(), ids=BAD_PATHS.keys())
async def test_bad_paths_are_refused_on_every_file_route(sandbox_api: App, path: str) -> None:
    api = sandbox_api
    env = await api.a.post(f"{V}/environments", json={})
    assert env.status_code == 200, env.text
    env_id = env.json()["id"]
    before = await api.settled_counts()
    calls = [
        ("GET", f"{V}/environments/{env_id}/files/{path}", {}),
        ("GET", f"{V}/environments/{env_id}/files/{path}", {"alt": "media"}),
        ("PUT", f"/upload{V}/environments/{env_id}/files/{path}", {}),
    ]
    for method, url, params in calls:
        response = await api.a.request(method, url, params=params)
        assert response.status_code == 400, f"{method} {url}: {response.status_code} {response.text}"
        error = response.json()["error"]
        assert error["message"].startswith("file_path: "), error
        assert error["details"][0]["fieldViolations"][0]["field"] == "file_path"
    assert await api.settled_counts() == before


async def test_a_tar_upload_cannot_escape_the_workspace(sandbox_api: App) -> None:
    """`extract=true` unpacks an archive: a member named `../x` is refused, not written outside."""
    api = sandbox_api
    env_id = (await api.a.post(f"{V}/environments", json={})).json()["id"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    data = buffer.getvalue()
    start = await api.a.put(
        f"/upload{V}/environments/{env_id}/files/unpacked",
        params={"extract": "true"},
        headers={"x-goog-upload-header-content-length": str(len(data))},
    )
    assert start.status_code == 200, start.text
    done = await api.a.post(
        start.headers["x-goog-upload-url"],
        content=data,
        headers={"x-goog-upload-command": "upload, finalize"},
    )
    assert done.status_code == 400, done.text
    assert done.json()["error"]["message"].startswith("file_path: ")
    root = await api.a.get(f"{V}/environments/{env_id}/files")
    assert "escaped" not in root.text
