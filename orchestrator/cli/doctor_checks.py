"""The checks `warren doctor` runs: each says what it found and, when it fails, how to fix it.

Every check reads what the server would use (its `Settings`, the engine, the database) and changes
nothing; a provider's row says whether a key is set and where, never the key.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import docker

from orchestrator.config import Settings
from orchestrator.gateway.vendor_settings import provider_settings
from orchestrator.sandbox.backend import SandboxError
from orchestrator.sandbox.docker_checkpoint import runsc_for_checkpoints
from orchestrator.sandbox.image import image_exists
from orchestrator.sandbox.image_tags import image_ref
from orchestrator.sandbox.runtimes import FIX, choose_runtime, runtimes_of
from orchestrator.store.db import Database
from orchestrator.store.migrate import current_revision, head_revision

__all__ = ["MIN_FREE_BYTES", "Check", "run_checks"]

MIN_FREE_BYTES = 1 << 30
"""Below this much free space in the data folder's filesystem, `disk` fails."""

State = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    state: State
    detail: str
    fix: str = ""


def engine(client: docker.DockerClient | None, error: str) -> Check:
    if client is None:
        return Check("engine", "fail", f"no Docker engine answers: {error}", "run `make engine`")
    return Check("engine", "ok", f"Docker {client.version().get('Version', '?')}")


def runtimes(info: dict[str, Any] | None, settings: Settings) -> Check:
    if info is None:
        return Check("runtimes", "fail", "needs the engine", "run `make engine`")
    registered = runtimes_of(info)
    try:
        chosen = choose_runtime(settings.runtime, registered, warn=False)
    except SandboxError as exc:
        return Check("runtimes", "fail", str(exc), "set WARREN_RUNTIME to a registered runtime, or " + FIX)
    listed = ", ".join(sorted(registered))
    if chosen != "runsc" and "runsc" in registered:  # chosen by WARREN_RUNTIME
        return Check(
            "runtimes", "ok", f"sandboxes run under {chosen} ({listed})", "unset WARREN_RUNTIME for gVisor"
        )
    if chosen != "runsc":  # the default without gVisor: sandboxes share the host's kernel
        return Check(
            "runtimes", "warn", f"sandboxes run under {chosen}: gVisor is not registered ({listed})", FIX
        )
    return Check("runtimes", "ok", f"sandboxes run under runsc (gVisor) ({listed})")


def idle_pause(info: dict[str, Any] | None, settings: Settings) -> Check:
    """Whether idle sandboxes keep their processes (a gVisor checkpoint) or are stopped."""
    if not settings.idle_keep_memory:
        return Check("idle pause", "ok", "off (WARREN_IDLE_KEEP_MEMORY): idle sandboxes are stopped")
    if info is None:
        return Check("idle pause", "warn", "needs the engine", "run `make engine`")
    if not runsc_for_checkpoints(info):
        return Check(
            "idle pause",
            "warn",
            "idle sandboxes are stopped (processes lost): the engine has no experimental features, or "
            "this user cannot clear runsc's state",
            "run `make engine` as root, then restart dockerd (it enables checkpoints)",
        )
    return Check("idle pause", "ok", "idle gVisor sandboxes are paused with their processes (checkpoints)")


def image(client: docker.DockerClient | None, settings: Settings) -> Check:
    if client is None:
        return Check("image", "fail", "needs the engine", "run `make engine`")
    try:
        tag = settings.sandbox_image or image_ref().sandbox
    except SandboxError as exc:
        return Check("image", "fail", str(exc), "set WARREN_SANDBOX_IMAGE to a built image")
    if image_exists(client, tag):
        return Check("image", "ok", tag)
    fix = (
        "run `warren image build`"
        if settings.sandbox_image is None
        else "build it, or fix WARREN_SANDBOX_IMAGE"
    )
    return Check("image", "fail", f"{tag} is not in the engine", fix)


async def _revision(url: str) -> str | None:
    db = Database(url)
    try:
        return await db.run_read(current_revision)
    finally:
        await db.close()


def database(settings: Settings) -> Check:
    url = settings.database_url or f"sqlite+aiosqlite:///{settings.data_dir / 'warren.db'}"
    if settings.database_url is None and not (settings.data_dir / "warren.db").exists():
        return Check("database", "ok", "no SQLite file yet: `warren serve` makes it on first start")
    try:
        revision = asyncio.run(_revision(url))
    except Exception as exc:  # any driver's connect error; its text names the cause, never a password
        text = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        return Check("database", "fail", f"cannot read the database: {text}", "check WARREN_DATABASE_URL")
    head = head_revision()
    if revision == head:
        return Check("database", "ok", f"schema {revision} (current)")
    if revision is None:
        return Check("database", "ok", "empty: `warren serve` migrates it on start")
    return Check(
        "database", "warn", f"schema {revision}, this Warren's is {head}", "`warren serve` migrates it"
    )


def disk(folder: Path, min_free: int = MIN_FREE_BYTES) -> Check:
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    detail = f"{free >> 20} MiB free under {existing}"
    if free < min_free:
        return Check(
            "disk", "fail", detail, f"free space there or set WARREN_DATA_DIR (need {min_free >> 20} MiB)"
        )
    return Check("disk", "ok", detail)


def providers() -> list[Check]:
    rows = []
    for row in provider_settings():
        key = f"key set in {row.key_variable}" if row.key_set else "no key"
        detail = f"{row.mode}, {key}" + (f", {row.base_url}" if row.custom_url else "")
        rows.append(Check(f"provider {row.provider}", "ok" if row.configured else "warn", detail, row.hint))
    return rows


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in order; the engine's are marked failed (not skipped) when it does not answer."""
    client, info, error = None, None, ""
    try:
        client = docker.from_env(version="auto", timeout=10)
        info = client.info()
    except docker.errors.DockerException as exc:
        client, error = None, str(exc)[:300]
    checks = [
        engine(client, error),
        runtimes(info, settings),
        idle_pause(info, settings),
        image(client, settings),
    ]
    checks += [database(settings), disk(settings.data_dir), *providers()]
    if client is not None:
        client.close()
    return checks
