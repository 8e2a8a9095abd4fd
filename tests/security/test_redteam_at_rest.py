"""Secrets at rest and file permissions (issue 13, MEDIUM 12), and the per-tenant queue cap (Low).

Before the fix the data folder was 0755 and the SQLite file 0644 (its WAL and SHM too), so any local
user could read every tenant's credential secrets, which were stored in plain text; the runner
sockets (0666, they must be: the sandbox's uid 1000 connects) sat in 0755 folders, so any local
user could also talk to a runner channel. And a tenant could queue unbounded work.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from typer.testing import CliRunner

from orchestrator.cli.main import app as warren_cli
from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.store import Database
from orchestrator.store.migrate import alembic_config
from orchestrator.store.sealing import SealError
from tests.unit.api_app.conftest import App, start_app

pytestmark = pytest.mark.security

V = "/v1beta"
SECRET = "wsk-at-rest-5f0c1d9e-never-on-disk"
OLD_SECRET = "legacy-plain-7a3b-sealed-at-start"
DELETED_SECRET = "legacy-deleted-91c4-gone-for-good"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _raw_bytes(db: Path) -> bytes:
    """Every byte SQLite keeps for `db`: the file, its WAL and its shared memory."""
    return b"".join(p.read_bytes() for p in (db, *db.parent.glob(db.name + "-*")) if p.is_file())


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[App]:
    """The app without sandboxes; `start_app` makes the database first with the default umask, as an
    older version (or `warren keys`) left it."""
    async for started in start_app(Settings(data_dir=tmp_path / "data", sandboxes=False)):
        yield started


async def test_data_folder_database_and_key_are_private_after_start(api: App) -> None:
    data = api.services.settings.data_dir
    db = data / "warren.db"
    assert (await api.a.get(f"{V}/credentials")).status_code == 200  # the WAL and SHM are in use
    assert _mode(data) == 0o700
    side = sorted(p.name for p in data.glob("warren.db-*"))
    assert {"warren.db-wal", "warren.db-shm"} <= set(side), side
    for path in (db, *(data / name for name in side), data / "secret.key"):
        assert _mode(path) == 0o600, f"{path.name} is {_mode(path):o}"


async def test_fresh_data_folder_is_private_from_the_start(tmp_path: Path) -> None:
    """No earlier file: the folder is made 0700 and the database 0600 before SQLite writes a byte."""
    settings = Settings(data_dir=tmp_path / "fresh" / "data", sandboxes=False)
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        assert _mode(settings.data_dir) == 0o700
        for path in settings.data_dir.glob("warren.db*"):
            assert _mode(path) == 0o600, f"{path.name} is {_mode(path):o}"
        assert _mode(settings.data_dir / "secret.key") == 0o600


async def test_credential_secret_is_sealed_in_the_file_and_still_opens(api: App) -> None:
    made = await api.a.post(f"{V}/credentials", json={"type": "bearer_token", "id": "gh", "token": SECRET})
    assert made.status_code == 200, made.text
    db = api.services.settings.data_dir / "warren.db"
    raw = _raw_bytes(db)
    assert SECRET.encode() not in raw, "the secret is in the SQLite file or its WAL"
    assert b"gh" in raw, "control: the file does hold the credential's row"
    opened = await api.services.store.credentials.secret("tenant-a", "gh")
    assert opened is not None and opened.secret == SECRET
    assert opened.header() == ("Authorization", f"Bearer {SECRET}")
    assert await api.services.store.credentials.secret("tenant-b", "gh") is None


async def test_a_sealed_value_opens_only_in_its_own_row(api: App) -> None:
    """The row's tenant and id are bound in: copying a sealed value into another tenant's row (a
    database-level attacker, or a bug) gives an error, not the other tenant's secret."""
    store = api.services.store
    await store.credentials.create("tenant-a", "gh", "bearer_token", SECRET, {})
    await store.credentials.create("tenant-b", "gh", "bearer_token", "b-own-token", {})
    async with store.db.write() as session:
        await session.execute(
            text(
                "UPDATE credentials SET secret = (SELECT secret FROM credentials WHERE tenant = 'tenant-a')"
                " WHERE tenant = 'tenant-b'"
            )
        )
    with pytest.raises(SealError):
        await store.credentials.secret("tenant-b", "gh")


async def test_plain_text_rows_of_an_older_version_are_sealed_and_scrubbed_at_start(tmp_path: Path) -> None:
    """A database written before sealing (revision 0002) holds plain secrets, one of them in a
    deleted row's leftover bytes; after one start neither is anywhere in the file, and the kept
    credential still opens."""
    data = tmp_path / "data"
    data.mkdir()
    db_file = data / "warren.db"
    async with Database(f"sqlite+aiosqlite:///{db_file}") as db, db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0002"))
    with sqlite3.connect(db_file) as conn:
        for id_, secret in (("old", OLD_SECRET), ("gone", DELETED_SECRET)):
            conn.execute(
                "INSERT INTO credentials (tenant, id, type, config, secret, created, updated)"
                " VALUES ('tenant-a', ?, 'bearer_token', '{}', ?, '2025-01-01 00:00:00.000000',"
                " '2025-01-01 00:00:00.000000')",
                (id_, secret),
            )
        conn.execute("DELETE FROM credentials WHERE id = 'gone'")
    assert OLD_SECRET.encode() in _raw_bytes(db_file), "control: the old version kept it in plain text"
    async for started in start_app(Settings(data_dir=data, sandboxes=False)):
        raw = _raw_bytes(db_file)
        assert OLD_SECRET.encode() not in raw
        assert DELETED_SECRET.encode() not in raw
        opened = await started.services.store.credentials.secret("tenant-a", "old")
        assert opened is not None and opened.secret == OLD_SECRET


async def test_key_file_survives_restarts_and_a_bad_configured_key_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async for started in start_app(Settings(data_dir=data, sandboxes=False)):
        await started.services.store.credentials.create("tenant-a", "gh", "bearer_token", SECRET, {})
    key = (data / "secret.key").read_text()
    async for started in start_app(Settings(data_dir=data, sandboxes=False)):
        opened = await started.services.store.credentials.secret("tenant-a", "gh")
        assert opened is not None and opened.secret == SECRET, "the key file outlives the process"
    assert (data / "secret.key").read_text() == key
    other_key = "A" * 43  # well-formed, but not the key the secret was sealed with
    async for started in start_app(Settings(data_dir=data, sandboxes=False, secret_key=other_key)):
        with pytest.raises(SealError) as wrong:
            await started.services.store.credentials.secret("tenant-a", "gh")
        assert SECRET not in str(wrong.value)
    bad = "not-a-key-but-a-leaked-password"
    with pytest.raises(SealError) as refused:
        async for _ in start_app(Settings(data_dir=data, sandboxes=False, secret_key=bad)):
            pass
    assert "WARREN_SECRET_KEY" in str(refused.value) and bad not in str(refused.value)


# ---- the per-tenant queue cap ------------------------------------------------------------------


@pytest.fixture
async def one_slot_api(tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(
        data_dir=tmp_path / "data",
        sandboxes=False,
        max_running=1,
        max_running_per_tenant=1,
        max_queued_per_tenant=2,
    )
    async for started in start_app(settings):
        yield started


async def test_queue_cap_answers_429_naming_the_limit_and_stores_nothing(one_slot_api: App) -> None:
    api = one_slot_api
    gate = asyncio.Event()
    blocker = api.services.interactions.scheduler.submit("tenant-a", "blocker", gate.wait)
    body = {"model": "scripted:echo", "input": "hello", "background": True}
    queued = [await api.a.post(f"{V}/interactions", json=body) for _ in range(2)]
    assert [r.status_code for r in queued] == [200, 200], [r.text for r in queued]
    before = await api.row_counts()
    refused = await api.a.post(f"{V}/interactions", json=body)
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "WARREN_MAX_QUEUED_PER_TENANT=2" in error["message"]
    assert await api.row_counts() == before, "a refused interaction leaves no row"
    other = await api.b.post(f"{V}/interactions", json=body)
    assert other.status_code == 200, "another tenant's queue is its own"
    gate.set()
    await blocker
    for response, client in [*((r, api.a) for r in queued), (other, api.b)]:
        done = await client.get(f"{V}/interactions/{response.json()['id']}")
        while done.json()["status"] == "in_progress":
            await asyncio.sleep(0.05)
            done = await client.get(f"{V}/interactions/{response.json()['id']}")
        assert done.json()["status"] == "completed"
    again = await api.a.post(f"{V}/interactions", json=body)
    assert again.status_code == 200, "the queue drained: the tenant may queue again"


# ---- runner sockets (needs the engine) ---------------------------------------------------------

_CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    print("connected")
except PermissionError:
    print("denied")
"""


@pytest.fixture
async def sandbox_api(sandbox_image: str) -> AsyncIterator[App]:
    """Real sandboxes, no warm pool; a short data folder (Unix socket paths are short)."""
    short = Path(tempfile.mkdtemp(prefix="wat", dir="/tmp"))
    short.chmod(0o755)  # as a home folder would be: the data folder's own mode must keep others out
    settings = Settings(data_dir=short / "data", sandbox_image=sandbox_image, pool_size=0)
    try:
        async for started in start_app(settings):
            try:
                yield started
            finally:
                for env in (await started.a.get(f"{V}/environments")).json().get("environments", []):
                    await started.a.delete(f"{V}/environments/{env['id']}")
    finally:
        shutil.rmtree(short, ignore_errors=True)


@pytest.mark.integration
async def test_runner_sockets_sit_in_a_folder_only_the_server_enters(sandbox_api: App) -> None:
    """The runner (uid 1000 in the sandbox) still reaches its 0666 socket through the bind mount, while
    a host user other than the server's cannot even reach the socket's path."""
    body = {
        "agent": "default",
        "agent_config": {"type": "antigravity", "model": "scripted:echo"},
        "input": "hello through the channel",
    }
    done = await sandbox_api.a.post(f"{V}/interactions", json=body)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed", done.json()
    data = sandbox_api.services.settings.data_dir
    root = data / "run"
    socket_path = root / done.json()["environment_id"] / "orchestrator.sock"
    python = shutil.which("python3", path="/usr/bin:/bin")
    assert python is not None
    probe = [python, "-c", _CONNECT, str(socket_path)]
    as_nobody = await asyncio.to_thread(
        subprocess.run, probe, user=65534, capture_output=True, text=True, timeout=30
    )
    assert as_nobody.stdout.strip() == "denied", as_nobody.stdout + as_nobody.stderr
    as_server = await asyncio.to_thread(subprocess.run, probe, capture_output=True, text=True, timeout=30)
    assert as_server.stdout.strip() == "connected", "control: the server's own user connects"
    assert root.stat().st_uid == os.getuid(), "the root folder belongs to the server's user"
    assert _mode(data) == 0o700 and _mode(root) == 0o700
    assert _mode(socket_path.parent) == 0o755 and _mode(socket_path) == 0o666, "the sandbox user connects"


def test_warren_keys_makes_a_private_data_folder(tmp_path: Path) -> None:
    """`warren keys create` may be the first to touch the data folder (before any server start)."""
    data = tmp_path / "cli-data"
    result = CliRunner().invoke(warren_cli, ["keys", "create"], env={"WARREN_DATA_DIR": str(data)})
    assert result.exit_code == 0, result.output
    assert _mode(data) == 0o700
    for path in data.glob("warren.db*"):
        assert _mode(path) == 0o600, f"{path.name} is {_mode(path):o}"
