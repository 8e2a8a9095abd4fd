"""Sources land in `/workspace` and skills under `/skills`, in real sandboxes (issue 4, items 3 and 4).

An environment made from inline, repository and folder sources holds their files at their targets,
owned by uid 1000; an agent's uploaded skill is mounted read-only at `/skills/<name>` and a skill
selection hides the other bundled skills. Everything runs on the real engine and image; the
repository is a local bare repo reached by `file://` under an allowed source root (no network).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.environments.service import EnvironmentService
from orchestrator.environments.site import SandboxSite, store_labels
from orchestrator.environments.sources import Sources
from orchestrator.sandbox import DockerBackend, ExecRequest
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.environments.conftest import SKILL_MD, make_repo

pytestmark = pytest.mark.integration


async def _sh(backend: DockerBackend, sandbox: str, script: str) -> tuple[int | None, str]:
    result = await backend.exec(ExecRequest(sandbox_id=sandbox, cmd=("sh", "-c", script), timeout_s=30))
    return result.exit_code, (result.stdout + result.stderr).decode()


@pytest.fixture
def roots(tmp_path: Path) -> Path:
    root = tmp_path / "roots"
    (root / "data" / "nested").mkdir(parents=True)
    (root / "data" / "nested" / "rows.csv").write_text("a,b\n1,2\n")
    (root / "data" / "escape").symlink_to("/etc/hostname")
    make_repo(root / "app.git", {"README.md": "the app\n", "src/main.py": "print('hi')\n"})
    return root


async def test_inline_repository_and_folder_sources_reach_the_workspace(
    tmp_path: Path, roots: Path, backend: DockerBackend
) -> None:
    settings = Settings(data_dir=tmp_path / "data", source_roots=[roots])
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as store:
        site = SandboxSite(backend, store_labels(store.db.url))
        sources = Sources.from_settings(settings)
        service = EnvironmentService(store, site, sources, max_sandboxes=settings.tenant_max_sandboxes)
        record = await service.create(
            "tenant-a",
            EnvironmentSpec(
                sources=[
                    {"type": "inline", "content": "hello\n", "target": "notes/hello.txt"},
                    {"type": "repository", "source": f"file://{roots}/app.git", "target": "code/app"},
                    {"type": "folder", "source": str(roots / "data")},
                ]
            ),
        )
        try:
            sandbox = await service.sandbox("tenant-a", record.id)
            code, out = await _sh(
                backend,
                sandbox,
                "cd /workspace && stat -c '%u:%g %n' notes notes/hello.txt code code/app code/app/README.md"
                " code/app/src/main.py data data/nested/rows.csv && cat notes/hello.txt code/app/README.md"
                " && test ! -e data/escape && echo no-link",
            )
            assert code == 0, out
            owners = [line.split(" ", 1) for line in out.splitlines() if line.startswith(("1000", "0:"))]
            assert owners and all(owner == "1000:1000" for owner, _ in owners), out
            assert "hello\nthe app\nno-link" in out
        finally:
            await service.delete("tenant-a", record.id)


@pytest.fixture
async def api(sandbox_image: str, roots: Path) -> AsyncIterator[httpx.AsyncClient]:
    # a short data dir: the runner's socket path must fit in a Unix socket address (108 bytes)
    data = Path(tempfile.mkdtemp(prefix="wsk-"))
    async with await Store.open(f"sqlite+aiosqlite:///{data / 'warren.db'}") as store:
        _, key = await store.keys.create_key("tenant-a", "a")
    app = build_app(Settings(data_dir=data, sandbox_image=sandbox_image, source_roots=[roots]))
    transport = httpx.ASGITransport(app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://t", headers={"x-goog-api-key": key}, timeout=120
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client
    shutil.rmtree(data, ignore_errors=True)


async def test_a_repository_that_fails_to_clone_is_a_400(api: httpx.AsyncClient, roots: Path) -> None:
    response = await api.post(
        "/v1beta/environments",
        json={"sources": [{"type": "repository", "source": f"file://{roots}/missing.git"}]},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["details"][0]["fieldViolations"][0]["field"] == "sources[0].source"
    assert "git clone failed" in error["message"]


async def test_a_malformed_skill_is_refused_at_upload(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/v1beta/agents",
        json={"id": "bad", "skills": [{"name": "hello", "files": {"SKILL.md": "no front matter"}}]},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["details"][0]["fieldViolations"][0]["field"] == "skills[0].files['SKILL.md']"
    assert "front matter" in error["message"]


async def test_an_uploaded_skill_is_mounted_read_only_and_the_selection_hides_the_rest(
    api: httpx.AsyncClient, backend: DockerBackend
) -> None:
    skill = {"SKILL.md": SKILL_MD.format(name="hello"), "scripts/hello.py": "print('hello')\n"}
    created = await api.post(
        "/v1beta/agents",
        json={
            "id": "greeter",
            "agent_config": {"type": "antigravity", "model": "scripted:echo"},
            "skills": ["data-analysis", {"name": "hello", "files": skill}],
        },
    )
    assert created.status_code == 200, created.text
    assert created.json()["skills"] == [
        "data-analysis",
        {"name": "hello", "description": "Says hello in a friendly way."},
    ]
    done = await api.post("/v1beta/interactions", json={"agent": "greeter", "input": "hi"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed", done.text
    env_id = done.json()["environment_id"]
    services = api.app.state.services  # type: ignore[attr-defined]
    record = await services.store.environments.get("tenant-a", env_id)
    try:
        code, out = await _sh(
            backend,
            record.sandbox_id,
            "ls /skills; head -2 /skills/hello/SKILL.md; python /skills/hello/scripts/hello.py;"
            " touch /skills/hello/x 2>&1; touch /skills/new 2>&1; echo end",
        )
        assert code == 0, out
        lines = out.splitlines()
        assert lines[:2] == ["data-analysis", "hello"], out  # web-research and report-writing are hidden
        assert "name: hello" in out and "\nhello\n" in out
        assert out.count("cannot touch") == 2, out  # runc: read-only file system; gVisor: permission
        _, listing = await _sh(backend, record.sandbox_id, "ls /skills/hello; ls /skills")
        assert "x" not in listing.split() and "new" not in listing.split(), listing
    finally:
        await api.delete(f"/v1beta/environments/{env_id}")


async def test_a_bad_source_in_an_interaction_environment_is_a_400(api: httpx.AsyncClient) -> None:
    environment = {"type": "remote", "sources": [{"type": "folder", "source": "/etc"}]}
    response = await api.post(
        "/v1beta/interactions", json={"agent": "default", "input": "hi", "environment": environment}
    )
    assert response.status_code == 400, response.text
    assert "not under an allowed source root" in response.json()["error"]["message"]
