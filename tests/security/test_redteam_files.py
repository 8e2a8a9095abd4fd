"""Red-team regressions of the files API (issue 13: findings 10, 11 and the low ones), on real sandboxes.

Finding 10: the engine's archive calls resolved sandbox paths as root, so a link the sandbox made
served `/etc/shadow` and let an upload write outside `/workspace`. Finding 11: a small gzip upload
inflated in the server's memory, and downloads were buffered whole. Low: tab/newline names broke
or forged the listing, a failed finalize kept its upload slot, and members kept uid 0 and setuid.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import docker
import httpx
import pytest

from orchestrator.api.deps import sandboxes
from orchestrator.sandbox import ExecRequest, ExecResult
from orchestrator.sandbox.backend import LABEL_PREFIX
from tests.support.serve import WARREN, create_key, free_port, wait_healthy
from tests.unit.api_app.conftest import App

pytestmark = [pytest.mark.security, pytest.mark.integration]

V = "/v1beta"
# `stat -c '%u %g %a %n'` in Python: coreutils' statx fails with EINVAL under gVisor (runsc 2022-12)
STAT_LINES = (
    "import os, sys\nfor n in sys.argv[1:]:\n    s = os.stat(n, follow_symlinks=False)\n"
    '    print(s.st_uid, s.st_gid, format(s.st_mode & 0o7777, "o"), n)'
)
MiB = 1 << 20


async def new_env(api: App) -> str:
    created = await api.a.post(f"{V}/environments", json={})
    assert created.status_code == 200, created.text
    env_id: str = created.json()["id"]
    return env_id


async def sandbox_run(api: App, env_id: str, *cmd: str, timeout_s: float = 60) -> ExecResult:
    """Run `cmd` in the environment's sandbox as the sandbox user (what an agent's code can do)."""
    service = sandboxes(api.services)
    sandbox_id = await service.sandbox("tenant-a", env_id)
    request = ExecRequest(sandbox_id=sandbox_id, cmd=cmd, timeout_s=timeout_s)
    return await service.backend.exec(request)


async def sandbox_sh(api: App, env_id: str, script: str, timeout_s: float = 60) -> ExecResult:
    return await sandbox_run(api, env_id, "sh", "-c", script, timeout_s=timeout_s)


def as_root(docker_client: docker.DockerClient, env_id: str, script: str, user: str = "0") -> str:
    """Run `script` in the environment's container as root (or `user`): the test's view, not the tenant's."""
    (container,) = docker_client.containers.list(filters={"label": f"{LABEL_PREFIX}environment={env_id}"})
    code, output = container.exec_run(["sh", "-c", script], user=user)
    assert code == 0, output
    text: str = output.decode()
    return text


def planted(docker_client: docker.DockerClient, env_id: str, prefix: str) -> list[str]:
    """Every file named `prefix*` anywhere in the container outside `/workspace` (root fs, /tmp, home)."""
    script = (
        "find / \\( -path /proc -o -path /sys -o -path /dev -o -path /workspace \\) -prune"
        f" -o -name '{prefix}*' -print 2>/dev/null; true"
    )
    # root (without capabilities) cannot enter the agent's private folders, so both look
    found = as_root(docker_client, env_id, script) + as_root(docker_client, env_id, script, user="1000")
    return sorted(set(found.split()))


async def upload(
    client: httpx.AsyncClient, env_id: str, path: str, data: bytes, **params: str
) -> httpx.Response:
    start = await client.put(
        f"/upload{V}/environments/{env_id}/files/{quote(path, safe='/')}",
        params=params,
        headers={"x-goog-upload-header-content-length": str(len(data))},
    )
    assert start.status_code == 200, start.text
    return await client.post(
        start.headers["x-goog-upload-url"],
        content=data,
        headers={"x-goog-upload-command": "upload, finalize"},
    )


def tar_of(members: dict[str, bytes], mode: int = 0o644, uid: int = 1000) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid, info.gid = len(data), mode, uid, uid
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def test_a_link_to_etc_never_serves_shadow(sandbox_api: App) -> None:
    """Finding 10: `/workspace/x -> /etc`, then `x/shadow` was downloaded as root. Now a 4xx, no content."""
    api = sandbox_api
    env_id = await new_env(api)
    assert (
        await sandbox_sh(api, env_id, "ln -s /etc /workspace/x && ln -s /etc/shadow /workspace/s")
    ).exit_code == 0
    for path in ("x/shadow", "x/passwd", "s"):
        got = await api.a.get(f"{V}/environments/{env_id}/files/{path}", params={"alt": "media"})
        assert 400 <= got.status_code < 500, (path, got.status_code)
        assert "root:" not in got.text
    listing = await api.a.get(f"{V}/environments/{env_id}/files/x")
    assert listing.status_code == 400, listing.text
    assert "shadow" not in listing.text


async def test_an_upload_through_a_link_writes_nothing_outside_the_workspace(
    sandbox_api: App, docker_client: docker.DockerClient
) -> None:
    """Finding 10: an upload into `t -> /tmp` was unpacked there by the engine, as root. Now refused."""
    api = sandbox_api
    env_id = await new_env(api)
    assert (await sandbox_sh(api, env_id, "ln -s /tmp /workspace/t && ln -s / /workspace/r")).exit_code == 0
    attempts = [
        await upload(api.a, env_id, "t/planted-1.txt", b"x"),
        await upload(api.a, env_id, "r/usr/planted-2.txt", b"x"),
        await upload(api.a, env_id, "t", tar_of({"planted-3.txt": b"x"}), extract="true"),
        await upload(api.a, env_id, "", tar_of({"t/planted-4.txt": b"x"}), extract="true"),
    ]
    assert [r.status_code for r in attempts] == [400] * 4, [r.text for r in attempts]
    assert planted(docker_client, env_id, "planted-") == []


FLIPPER = """
import os, shutil, time
os.chdir("/workspace")
end = time.monotonic() + 100
targets = ["/tmp", "/", "/home/agent", None]
i = 0
while time.monotonic() < end and not os.path.exists("stop"):
    try:
        os.unlink("d") if os.path.islink("d") else shutil.rmtree("d", ignore_errors=True)
        os.mkdir("d") if targets[i % 4] is None else os.symlink(targets[i % 4], "d")
    except OSError:
        pass
    i += 1
"""


async def test_a_symlink_race_during_uploads_cannot_write_outside_the_workspace(
    sandbox_api: App, docker_client: docker.DockerClient
) -> None:
    """Finding 10: the sandbox flips `d` between a folder and links out while uploads land in `d`.

    Afterwards no uploaded name exists anywhere outside `/workspace` (root fs, `/tmp`, home).
    """
    api = sandbox_api
    env_id = await new_env(api)
    flipper = asyncio.create_task(sandbox_sh(api, env_id, f"exec python3 -c '{FLIPPER}'", timeout_s=120))
    statuses = []
    try:
        for i in range(20):
            members = {f"d/race-{i}-a.txt": b"a", f"d/sub/race-{i}-b.txt": b"b"}
            statuses.append((await upload(api.a, env_id, "", tar_of(members), extract="true")).status_code)
            statuses.append(
                (await upload(api.a, env_id, "d", tar_of({f"race-{i}-c": b"c"}), extract="true")).status_code
            )
            statuses.append((await upload(api.a, env_id, f"d/race-{i}-d.txt", b"d")).status_code)
    finally:
        await sandbox_sh(api, env_id, "touch /workspace/stop")
        await flipper
    assert set(statuses) <= {200, 400, 404}, statuses  # 404: the listing after a write found `d` gone
    assert planted(docker_client, env_id, "race-") == []


async def test_uploaded_members_belong_to_the_sandbox_user_without_setuid(
    sandbox_api: App, docker_client: docker.DockerClient
) -> None:
    """Low: members kept uid 0 and their setuid, setgid, sticky and world-write bits. Now 1000, none."""
    api = sandbox_api
    env_id = await new_env(api)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo("sticky")
        folder.type, folder.mode, folder.uid, folder.gid = tarfile.DIRTYPE, 0o1777, 0, 0
        tar.addfile(folder)
        for name, mode in (("sticky/suid.sh", 0o4777), ("sgid.sh", 0o2755)):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid, info.gid, info.uname = 2, mode, 0, 0, "root"
            tar.addfile(info, io.BytesIO(b"#!"))
    done = await upload(api.a, env_id, "up", buffer.getvalue(), extract="true")
    assert done.status_code == 200, done.text
    stats = as_root(
        docker_client, env_id, f"cd /workspace/up && python3 -c '{STAT_LINES}' sticky sticky/suid.sh sgid.sh"
    )
    for line in stats.splitlines():
        uid, gid, mode, name = line.split()
        assert (uid, gid) == ("1000", "1000"), line
        assert int(mode, 8) & 0o7002 == 0, line


async def test_names_with_newlines_and_tabs_are_listed_exactly(sandbox_api: App) -> None:
    """Low: the tab/newline listing broke on such names, and one could forge an entry. Now NUL-separated.

    The agent's code makes the names (the route's path pattern stops at a newline); a tab also
    crosses the upload and download routes.
    """
    api = sandbox_api
    env_id = await new_env(api)
    names = ["line\nbreak.txt", "tab\there.txt", "evil\nf\t1\t0\tforged.txt"]  # sizes 1, 2, 3
    make = (
        "import os, sys; os.mkdir('n')\n"
        "for i, n in enumerate(sys.argv[1:], 1): open('n/' + n, 'wb').write(b'x' * i)"
    )
    assert (await sandbox_run(api, env_id, "python3", "-c", make, *names)).exit_code == 0
    done = await upload(api.a, env_id, "n/tab\tup.txt", b"4444")
    assert done.status_code == 200, done.text
    expected = {name: str(size) for size, name in enumerate(names, start=1)} | {"tab\tup.txt": "4"}
    listing = await api.a.get(f"{V}/environments/{env_id}/files/n")
    assert listing.status_code == 200, listing.text
    assert {f["name"]: f["size_bytes"] for f in listing.json()["files"]} == expected
    got = await api.a.get(f"{V}/environments/{env_id}/files/n/tab%09up.txt", params={"alt": "media"})
    assert got.content == b"4444"


async def test_a_failed_finalize_frees_its_upload_slot(sandbox_api: App) -> None:
    """Low: each failed finalize held one of the tenant's 8 upload slots for an hour (then 429)."""
    api = sandbox_api
    env_id = await new_env(api)
    for _ in range(api.services.uploads.max_open_per_tenant + 2):
        done = await upload(api.a, env_id, "bad", b"not a tar at all" * 64, extract="true")
        assert done.status_code == 400, done.text


# ---- the server's memory (a real `warren serve`, whose peak RSS is read from /proc) ---------------


@dataclass(frozen=True)
class Served:
    url: str
    key: str
    pid: int

    def peak_rss(self) -> int:
        """The server's peak resident memory so far (`VmHWM`), in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM")


@pytest.fixture
def served(sandbox_image: str) -> Iterator[Served]:
    """A fresh server per test: the peak RSS of one test must not hide under another's."""
    data = Path(tempfile.mkdtemp(prefix="warren-redteam-files-"))
    env = {**os.environ, "WARREN_DATA_DIR": str(data), "WARREN_SANDBOX_IMAGE": sandbox_image}
    key = create_key(env, "tenant-rss")
    port, log = free_port(), data / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([WARREN, "serve", "--port", str(port)], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log, 120)
        yield Served(url, key, proc.pid)
    finally:
        with httpx.Client(base_url=url, headers={"x-goog-api-key": key}) as client:
            for listed in client.get(f"{V}/environments").json().get("environments", []):
                client.delete(f"{V}/environments/{listed['id']}")
        proc.terminate()
        proc.wait(timeout=30)


def gzip_bomb(inflated: int) -> bytes:
    """A gzipped tar of one `inflated`-byte file of zeros (about 1000x smaller than it inflates)."""
    info = tarfile.TarInfo("bomb.bin")
    info.size = inflated
    compressor = zlib.compressobj(9, wbits=31)
    parts = [compressor.compress(info.tobuf())]
    zeros = bytes(MiB)
    for _ in range(inflated // MiB):
        parts.append(compressor.compress(zeros))
    parts.append(compressor.compress(bytes(1024)) + compressor.flush())
    return b"".join(parts)


def test_a_gzip_bomb_gets_413_and_the_server_stays_small(served: Served) -> None:
    """Finding 11: 700 KB of gzip inflated in memory (1.45 GB RSS). Now into a file, under a ratio cap."""
    bomb = gzip_bomb(700 * MiB)
    assert len(bomb) < MiB
    with httpx.Client(base_url=served.url, headers={"x-goog-api-key": served.key}, timeout=300) as client:
        env_id = client.post(f"{V}/environments", json={}).json()["id"]
        assert client.get(f"{V}/environments/{env_id}/files").status_code == 200  # the sandbox is up
        before = served.peak_rss()
        start = client.put(
            f"/upload{V}/environments/{env_id}/files/unpacked",
            params={"extract": "true"},
            headers={"x-goog-upload-header-content-length": str(len(bomb))},
        )
        done = client.post(
            start.headers["x-goog-upload-url"],
            content=bomb,
            headers={"x-goog-upload-command": "upload, finalize"},
        )
        grown = served.peak_rss() - before
    assert done.status_code == 413, done.text
    assert grown < 64 * MiB, f"the server's peak RSS grew by {grown / MiB:.0f} MiB"


def test_a_big_download_is_streamed(served: Served, docker_client: docker.DockerClient) -> None:
    """Finding 11: a download was buffered whole (up to 1 GiB) before the size check. Now streamed."""
    size = 200 * MiB
    with httpx.Client(base_url=served.url, headers={"x-goog-api-key": served.key}, timeout=300) as client:
        env_id = client.post(f"{V}/environments", json={}).json()["id"]
        assert client.get(f"{V}/environments/{env_id}/files").status_code == 200
        as_root(docker_client, env_id, f"head -c {size} /dev/zero > /workspace/big.bin", user="1000")
        before = served.peak_rss()
        received = 0
        with client.stream("GET", f"{V}/environments/{env_id}/files/big.bin", params={"alt": "media"}) as got:
            assert got.status_code == 200
            assert got.headers["content-length"] == str(size)
            for chunk in got.iter_bytes():
                received += len(chunk)
        grown = served.peak_rss() - before
    assert received == size
    assert grown < 64 * MiB, f"the server's peak RSS grew by {grown / MiB:.0f} MiB"
