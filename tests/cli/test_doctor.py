"""`warren doctor` against this host's real engine and a real SQLite store: each check's state, its
fix when it fails, the exit code, and no provider key in the output."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from orchestrator.cli.doctor import doctor
from orchestrator.cli.doctor_checks import disk
from orchestrator.store.db import Database

app = typer.Typer()
app.command()(doctor)

SECRET = "gemini-doctor-sentinel-key-0001"


def _run(env: dict[str, str], tmp_path: Path) -> tuple[int, dict[str, dict[str, str]], str]:
    base = {"WARREN_DATA_DIR": str(tmp_path / "data"), "GEMINI_API_KEY": SECRET}
    result = CliRunner().invoke(app, ["--json"], env={**base, **env})
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    return result.exit_code, checks, result.stdout


def test_a_ready_host_passes_and_never_shows_a_key(sandbox_image: str, tmp_path: Path) -> None:
    code, checks, text = _run({"WARREN_SANDBOX_IMAGE": sandbox_image}, tmp_path)
    assert code == 0, text
    for name in ("engine", "runtimes", "image", "database", "disk"):
        assert checks[name]["state"] == "ok", checks[name]
    assert checks["runtimes"]["detail"].startswith("sandboxes run under runsc (gVisor)"), "gVisor by default"
    assert checks["provider gemini"]["detail"] == "Gemini API, key set in GEMINI_API_KEY"
    assert SECRET not in text


def test_runc_chosen_by_warren_runtime_is_reported_with_the_way_back(
    sandbox_image: str, tmp_path: Path
) -> None:
    code, checks, text = _run({"WARREN_SANDBOX_IMAGE": sandbox_image, "WARREN_RUNTIME": "runc"}, tmp_path)
    assert code == 0, text
    assert checks["runtimes"]["state"] == "ok"
    assert checks["runtimes"]["detail"].startswith("sandboxes run under runc")
    assert checks["runtimes"]["fix"] == "unset WARREN_RUNTIME for gVisor"


def test_each_failure_names_its_fix_and_fails_the_command(sandbox_image: str, tmp_path: Path) -> None:
    code, checks, _ = _run(
        {"WARREN_SANDBOX_IMAGE": "warren-sandbox:absent", "WARREN_RUNTIME": "nope"}, tmp_path
    )
    assert code == 1
    assert checks["image"]["state"] == "fail" and "WARREN_SANDBOX_IMAGE" in checks["image"]["fix"]
    assert checks["runtimes"]["state"] == "fail" and "'nope'" in checks["runtimes"]["detail"]
    code, checks, _ = _run({"DOCKER_HOST": f"unix://{tmp_path}/no.sock"}, tmp_path)
    assert code == 1
    assert {checks[name]["state"] for name in ("engine", "runtimes", "image")} == {"fail"}
    assert checks["engine"]["fix"] == "run `make engine`"


def test_the_database_check_reads_the_schema_revision(sandbox_image: str, tmp_path: Path) -> None:
    async def migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'warren.db'}")
        await db.migrate()
        await db.close()

    asyncio.run(migrate())
    _, checks, _ = _run({"WARREN_SANDBOX_IMAGE": sandbox_image}, tmp_path)
    assert checks["database"]["state"] == "ok" and "(current)" in checks["database"]["detail"]
    url = "postgresql+asyncpg://nobody:pw-sentinel@127.0.0.1:1/none"
    code, checks, text = _run({"WARREN_SANDBOX_IMAGE": sandbox_image, "WARREN_DATABASE_URL": url}, tmp_path)
    assert code == 1 and checks["database"]["state"] == "fail", checks["database"]
    assert "pw-sentinel" not in text


@pytest.mark.parametrize(("need", "state"), [(1, "ok"), (1 << 62, "fail")])
def test_the_disk_check_compares_free_space(tmp_path: Path, need: int, state: str) -> None:
    check = disk(tmp_path / "not" / "made", min_free=need)
    assert check.state == state and str(tmp_path) in check.detail
    assert (check.fix != "") is (state == "fail")
