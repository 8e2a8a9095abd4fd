"""The GitHub Action's script (`scripts/action-run.sh`), run locally exactly as action.yml runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import REPO_ROOT, Server, script

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SCRIPT = REPO_ROOT / "scripts" / "action-run.sh"


def _run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}:{env['PATH']}"  # `warren` is installed: no pip install
    return subprocess.run(
        [str(SCRIPT)],
        env={**env, "PATH": path, "GITHUB_OUTPUT": str(cwd / "gh-output")},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )


def test_action_script_runs_the_agent_and_reports(server: Server, tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "data").mkdir()
    (tmp_path / "repo" / "data" / "input.txt").write_text("from the action\n")
    env = {k: v for k, v in server.env().items() if k not in ("WARREN_URL", "WARREN_API_KEY")}
    env.update(
        INPUT_AGENT="default",
        INPUT_INPUT="go",
        INPUT_MODEL=script("write"),
        INPUT_SOURCES="repo\n",
        INPUT_WARREN_URL=server.url,
        INPUT_API_KEY=server.key,
        INPUT_TIMEOUT="2m",
    )
    done = _run(env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "from the action" in (tmp_path / "warren-output" / "out" / "result.txt").read_text()
    assert json.loads((tmp_path / "warren-report.json").read_text())["status"] == "completed"
    outputs = (tmp_path / "gh-output").read_text()
    assert "exit-code=0" in outputs and "report=warren-report.json" in outputs


def test_action_script_fails_with_the_run(server: Server, tmp_path: Path) -> None:
    env = {k: v for k, v in server.env().items() if k not in ("WARREN_URL", "WARREN_API_KEY")}
    env.update(
        INPUT_AGENT="default",
        INPUT_INPUT="go",
        INPUT_MODEL=script("fail"),
        INPUT_WARREN_URL=server.url,
        INPUT_API_KEY=server.key,
    )
    done = _run(env, tmp_path)
    assert done.returncode == 1
    assert "exit-code=1" in (tmp_path / "gh-output").read_text()
    missing = _run({**env, "INPUT_AGENT": ""}, tmp_path)
    assert missing.returncode == 2 and "'agent' input is required" in missing.stderr
