"""Red-team regressions of repository sources (issue 13, HIGH 2 and MEDIUM 9).

HIGH 2: a `file://` repository escaped `WARREN_SOURCE_ROOTS` with a percent-encoded `..`: the roots
check read the literal path, git decoded it, and a repository outside the roots was cloned. A root
that holds Warren's own data (the store, other tenants' clones and workspaces) is refused too.

MEDIUM 9: clones were a blind SSRF from the orchestrator: git followed redirects, looked the name up
again after Warren checked it, and a hostile server could stream until the deadline; a tenant could
run any number of clones at once. Every git host here is a loopback server the test starts.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from orchestrator.config import Settings
from orchestrator.environments.source_policy import SourceError, SourcePolicy
from orchestrator.environments.sources import Sources
from orchestrator.skills import SkillStore
from tests.support.git_http import GitHttpServer
from tests.unit.api_app.conftest import App, start_app
from tests.unit.environments.conftest import REPO, make_repo

pytestmark = pytest.mark.security

V = "/v1beta"
CAP = 8 << 20
"""`max_source_bytes` of the app under test."""


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """`roots/` (the one source root, holding `app.git`) beside `outside/secret.git`, out of its reach."""
    make_repo(tmp_path / "roots" / "app.git", {"README.md": "the app\n"})
    make_repo(tmp_path / "outside" / "secret.git", {"secret.txt": "host secret\n"})
    return tmp_path


@pytest.fixture
async def api(layout: Path, sandbox_image: str) -> AsyncIterator[App]:
    """The app with real sandboxes (none is started: no pool), the roots, and loopback git hosts allowed."""
    settings = Settings(
        data_dir=layout / "data",
        sandbox_image=sandbox_image,
        pool_size=0,
        source_roots=[layout / "roots"],
        allow_private_repository_hosts=True,
        max_source_bytes=CAP,
        clone_timeout_s=120,
        max_clones_per_tenant=2,
    )
    async for started in start_app(settings):
        try:
            yield started
        finally:
            for c in (started.a, started.b):
                listed = (await c.get(f"{V}/environments")).json().get("environments", [])
                for env in listed:
                    await c.delete(f"{V}/environments/{env['id']}")


def _clones(layout: Path) -> list[Path]:
    """Every file a clone left in the server's clone cache."""
    cache = layout / "data" / "sources"
    return [path for path in cache.rglob("*") if path.is_file()] if cache.exists() else []


def _create(client: httpx.AsyncClient, source: str) -> Any:
    return client.post(f"{V}/environments", json={"sources": [{"type": "repository", "source": source}]})


def _refused_field(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    return str(error["details"][0]["fieldViolations"][0]["field"])


# ---- HIGH 2: file:// repositories stay inside the source roots ---------------------------------

ESCAPES = {
    "percent-encoded dot-dot": "roots/%2e%2e/outside/secret.git",
    "upper-case dot-dot": "roots/%2E%2E/outside/secret.git",
    "double-encoded dot-dot": "roots/%252e%252e/outside/secret.git",
    "encoded slashes": "roots/..%2foutside%2fsecret.git",
}


@pytest.mark.integration
@pytest.mark.parametrize("path", ESCAPES.values(), ids=ESCAPES.keys())
async def test_percent_encoding_cannot_leave_the_source_roots(api: App, layout: Path, path: str) -> None:
    """Git decodes `%XX` in a file:// URL, so the roots check must see what git opens: refused, no clone.
    An honest file:// repository under the root is still cloned (from its checked real path)."""
    before = await api.settled_counts()
    response = await _create(api.a, f"file://{layout}/{path}")
    assert _refused_field(response) == "sources[0].source"
    assert "'%'" in response.json()["error"]["message"]
    assert _clones(layout) == []
    assert await api.settled_counts() == before
    honest = await _create(api.a, f"file://{layout}/roots/./app.git")
    assert honest.status_code == 200, honest.text
    checked_out = {path.name for path in _clones(layout) if ".git" not in path.parts}
    assert checked_out == {"README.md"}


@pytest.mark.parametrize("own", ["data_dir", "workspace_dir"])
def test_a_source_root_holding_warren_data_is_refused(tmp_path: Path, own: str) -> None:
    """A root around (or inside) Warren's own folders would let a folder source read the store and clones."""
    with pytest.raises(ValidationError, match=f"overlaps {own}"):
        Settings(source_roots=[tmp_path], **{own: tmp_path / "warren"})
    with pytest.raises(ValidationError, match=f"overlaps {own}"):
        Settings(source_roots=[tmp_path / "warren" / "inside"], **{own: tmp_path / "warren"})


def test_warren_serve_refuses_a_root_holding_its_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`warren serve` builds its settings from the environment: the same refusal, before anything starts."""
    monkeypatch.setenv("WARREN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WARREN_SOURCE_ROOTS", str(tmp_path))
    with pytest.raises(ValidationError, match=r"source root .* overlaps data_dir"):
        Settings.from_env()


# ---- MEDIUM 9: clones are no SSRF ----------------------------------------------------------------


@pytest.mark.integration
async def test_a_redirect_from_the_git_host_is_not_followed(api: App, layout: Path) -> None:
    """A host answering 302 elsewhere (an internal service) fails the clone; the target is never contacted."""
    with (
        GitHttpServer(layout / "roots") as target,
        GitHttpServer(redirect_to=f"http://127.0.0.1:{target.port}") as host,
    ):
        response = await _create(api.a, host.url("app.git"))
        assert _refused_field(response) == "sources[0].source"
        assert host.requests == ["/app.git/info/refs?service=git-upload-pack"]
        assert target.requests == [], "git followed the redirect"
    assert _clones(layout) == []


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """Answer the server's own name lookups for chosen names; git's lookups are untouched."""
    names: dict[str, str] = {}
    original = asyncio.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self: asyncio.BaseEventLoop, host: Any, port: Any, **kwargs: Any) -> Any:
        return await original(self, names.get(host, host), port, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return names.__setitem__


@pytest.mark.integration
async def test_git_connects_to_the_address_warren_checked(
    api: App, layout: Path, fake_dns: Callable[[str, str], None]
) -> None:
    """Git may not look the name up again (DNS rebinding): `git.invalid` resolves only in Warren's check,
    so the clone works only if git uses the address Warren checked and pinned."""
    fake_dns("git.invalid", "127.0.0.1")  # `.invalid` never resolves (RFC 6761): only the check knows it
    with GitHttpServer(layout / "roots") as host:
        response = await _create(api.a, host.url("app.git", host="git.invalid"))
        assert response.status_code == 200, response.text
        assert host.requests[0] == "/app.git/info/refs?service=git-upload-pack"


@pytest.mark.integration
async def test_plain_http_to_a_public_address_is_refused_before_connecting(
    api: App, fake_dns: Callable[[str, str], None]
) -> None:
    """Even with internal hosts allowed, clear-text http never crosses the internet (the policy decides
    on the address alone; nothing connects to it)."""
    fake_dns("public.invalid", "8.8.8.8")
    response = await _create(api.a, "http://public.invalid/app.git")
    assert _refused_field(response) == "sources[0].source"
    assert "only to an internal git server" in response.json()["error"]["message"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x.git", "http://github.com/acme/app"])
def test_only_https_is_accepted_by_default(tmp_path: Path, url: str) -> None:
    """Without `allow_private_repository_hosts`, a repository is https:// (checked without any lookup)."""
    sources = Sources(SourcePolicy(cache_dir=tmp_path / "c"), SkillStore(tmp_path / "s", REPO / "skills"))
    with pytest.raises(SourceError) as caught:
        sources.check([{"type": "repository", "source": url}])
    assert caught.value.field == "sources[0].source"
    assert "https://" in caught.value.message


@pytest.mark.parametrize(
    "url", ["https://ex%61mple.com/x", "https://example.com./x", "https://bücher.example/x"]
)
def test_a_host_git_would_look_up_differently_is_refused(tmp_path: Path, url: str) -> None:
    """The pin only holds if curl names the host as the check did: escapes, a trailing dot and non-ASCII
    names (curl converts them itself) are refused; IDN hosts are written in punycode."""
    sources = Sources(SourcePolicy(cache_dir=tmp_path / "c"), SkillStore(tmp_path / "s", REPO / "skills"))
    with pytest.raises(SourceError) as caught:
        sources.check([{"type": "repository", "source": url}])
    assert caught.value.field == "sources[0].source"
    assert "plain ASCII name" in caught.value.message


@pytest.mark.integration
async def test_an_endless_pack_is_cut_at_the_byte_cap(api: App, layout: Path) -> None:
    """A host streaming a pack that never ends is stopped once the clone holds `max_source_bytes`, well
    before the 120 s deadline; the bytes it got to send stay near the cap (the server would send 256 MiB)."""
    with GitHttpServer(endless_pack=True) as host:
        started = time.monotonic()
        response = await _create(api.a, host.url("app.git"))
        elapsed = time.monotonic() - started
        assert _refused_field(response) == "sources[0].source"
        assert f"more than {CAP} bytes" in response.json()["error"]["message"]
        assert elapsed < 30, f"the clone ran {elapsed:.1f} s"
        # the measuring loop runs every 50 ms; 2 s of the stream (32 MiB at 16 MiB/s) is ample slack
        assert host.pack_bytes_sent < CAP + host.rate * 2, host.pack_bytes_sent
    assert _clones(layout) == []


@pytest.mark.integration
async def test_a_tenant_runs_at_most_two_clones_at_once(api: App, layout: Path) -> None:
    """A third clone of the same tenant is refused at once with 429 (no queue); another tenant still clones,
    and the tenant clones again once a slot is free."""
    hold = threading.Event()
    with GitHttpServer(layout / "roots", hold=hold) as host:
        url = host.url("app.git")
        held = [asyncio.create_task(_create(api.a, url)) for _ in range(2)]
        try:
            await _until(lambda: len(host.requests) == 2, "the two clones never reached the host")
            third = await asyncio.wait_for(_create(api.a, url), 10)
            assert third.status_code == 429, third.text
            error = third.json()["error"]
            assert error["code"] == "quota_exceeded"
            assert "WARREN_MAX_CLONES_PER_TENANT=2" in error["message"]
            held.append(asyncio.create_task(_create(api.b, url)))
            await _until(lambda: len(host.requests) == 3, "the other tenant's clone never reached the host")
        finally:
            hold.set()
            responses = await asyncio.gather(*held, return_exceptions=True)
        for response in responses:
            assert isinstance(response, httpx.Response) and response.status_code == 200, response
        again = await _create(api.a, url)
        assert again.status_code == 200, again.text


async def _until(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)
