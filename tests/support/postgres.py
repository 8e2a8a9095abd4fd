"""A throwaway PostgreSQL server for tests: its own cluster in a temp dir, on a free loopback port.

    with postgres_server() as server:
        url = await server.create_database()     # postgresql+asyncpg://warren:…@127.0.0.1:PORT/db_…

The cluster is initialised by `initdb` into a fresh temp dir owned by the `postgres` OS user (the
server refuses to run as root), listens on 127.0.0.1 only, with its Unix socket inside the temp
dir, and is stopped and deleted on exit. Binaries come from Debian's `postgresql` package; when
they are missing, the error says to run `scripts/ensure-postgres.sh`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

__all__ = ["PostgresNotInstalledError", "PostgresServer", "find_bin_dir", "postgres_server"]

_USER = "warren"
_START_TIMEOUT_S = 60


class PostgresNotInstalledError(RuntimeError):
    """PostgreSQL's server binaries are not on this machine."""


def find_bin_dir() -> Path:
    """The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.

    Raises:
        PostgresNotInstalledError: none found; the message says how to install them.
    """
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not found:
        raise PostgresNotInstalledError(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb). "
            "Run scripts/ensure-postgres.sh to install Debian's postgresql package."
        )
    return Path(found[-1]).parent


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server and how to reach it over loopback TCP."""

    host: str
    """Always 127.0.0.1."""
    port: int
    """The free port it listens on."""
    user: str
    """The superuser the tests connect as."""
    password: str
    """That user's random password (SCRAM over TCP)."""

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        """An SQLAlchemy URL for `database` on this server."""
        return f"{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    async def _admin(self) -> Any:
        return await asyncpg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, database="postgres"
        )

    async def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a random name by default) and return its asyncpg URL."""
        name = name or f"db_{secrets.token_hex(6)}"
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, name: str) -> None:
        """Drop `name`, closing any connections still open to it."""
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres() -> dict[str, Any]:
    """`subprocess` arguments that run a command as the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresNotInstalledError(
            "no `postgres` OS user; run scripts/ensure-postgres.sh to install Debian's postgresql package"
        ) from exc
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _run(cmd: list[str], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, check=False, **_as_postgres(), **kwargs
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{cmd[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
        )
    return result


def _start(bin_dir: Path, data: Path, root: Path, log: Path) -> int:
    """Start the server on a free loopback port (another draw if the port was taken meanwhile)."""
    last: RuntimeError | None = None
    for _attempt in range(3):
        port = _free_port()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        cmd = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options]
        try:
            _run([*cmd, "-w", "-t", str(_START_TIMEOUT_S), "start"], cwd=root)
            return port
        except RuntimeError as exc:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
            last = RuntimeError(f"{exc}\nserver log tail:\n{tail}")
    assert last is not None
    raise last


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a throwaway server; stop it and delete its files on exit.

    Raises:
        PostgresNotInstalledError: the binaries are missing (run scripts/ensure-postgres.sh).
        RuntimeError: initdb or the server failed; the message carries the server log's tail.
    """
    bin_dir = find_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="warren-pg-"))
    data, log = root / "data", root / "server.log"
    as_pg = _as_postgres()
    if as_pg:
        os.chown(root, as_pg["user"], as_pg["group"])
    root.chmod(0o700)
    password = secrets.token_urlsafe(24)
    started = False
    try:
        pwfile = root / "pwfile"
        pwfile.write_text(password + "\n")
        if as_pg:
            os.chown(pwfile, as_pg["user"], as_pg["group"])
        pwfile.chmod(0o600)
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                _USER,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ],
            cwd=root,
        )
        pwfile.unlink()
        started = True
        port = _start(bin_dir, data, root, log)
        yield PostgresServer(host="127.0.0.1", port=port, user=_USER, password=password)
    finally:
        if started:
            with contextlib.suppress(RuntimeError):
                _run(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"],
                    cwd=root,
                )
        shutil.rmtree(root, ignore_errors=True)
