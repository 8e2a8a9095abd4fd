"""`warren run` end to end on real sandboxes with the scripted model: exit codes, report, artifacts."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import docker
import pytest

from tests.cli.conftest import WARREN, Server, base_env, script, warren

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

_ESCAPE = re.compile(r"\x1b\[")


def _sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "data" / "input.txt").write_text("forty-two\n")
    return src


def test_embedded_run_completes_saves_artifacts_and_cleans_up(
    tmp_path: Path, sandbox_image: str, docker_client: docker.DockerClient
) -> None:
    """No WARREN_URL: an embedded server runs the task; only produced files land in --output."""
    out, report = tmp_path / "out", tmp_path / "report.json"
    done = warren(
        "run",
        "--agent",
        "default",
        "--model",
        script("write"),
        "--input",
        "use the input",
        "--source",
        str(_sources(tmp_path)),
        "--output",
        str(out),
        "--json",
        str(report),
        env=base_env(sandbox_image),
    )
    assert done.returncode == 0, done.stderr
    assert "[answer] Done: out/result.txt written." in done.stdout
    assert not _ESCAPE.search(done.stdout), "plain output must have no escape codes"
    assert "forty-two" in (out / "out" / "result.txt").read_text()
    assert not (out / "data").exists(), "unchanged sources are not artifacts"
    body = json.loads(report.read_text())
    assert body["status"] == "completed" and body["exit_code"] == 0
    assert [a["path"] for a in body["artifacts"]] == ["out/result.txt"]
    assert {"setup_s", "run_s", "total_s"} <= set(body["durations"])
    left = docker_client.containers.list(
        all=True, filters={"label": f"dev.warren.environment={body['environment_id']}"}
    )
    assert not left, "the embedded run deletes its environment"


def test_report_matches_the_stored_interaction(server: Server, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    done = warren(
        "run",
        "-a",
        "default",
        "--model",
        script("write"),
        "-i",
        "go",
        "--source",
        str(_sources(tmp_path)),
        "--json",
        str(report),
        "--delete-env",
        env=server.env(),
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(report.read_text())
    with server.http() as client:
        stored = client.get(f"/v1beta/interactions/{body['interaction_id']}").json()
    assert body["interaction"] == stored
    assert body["steps"] == stored["steps"] and body["status"] == stored["status"] == "completed"
    assert body["usage"] == stored["usage"]


def test_model_failure_exits_1(server: Server, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    done = warren(
        "run",
        "-a",
        "default",
        "--model",
        script("fail"),
        "-i",
        "go",
        "--json",
        str(report),
        "--delete-env",
        env=server.env(),
    )
    assert done.returncode == 1, done.stderr
    assert "scripted refusal" in done.stdout
    assert json.loads(report.read_text())["status"] == "failed"


def test_timeout_cancels_and_exits_3(server: Server, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    done = warren(
        "run",
        "-a",
        "default",
        "--model",
        script("slow"),
        "-i",
        "go",
        "--timeout",
        "1s",  # the slow model alone needs 1.5 s (a warm-pool sandbox is ready at once)
        "--json",
        str(report),
        "--delete-env",
        env=server.env(),
    )
    assert done.returncode == 3, done.stderr
    assert "timed out" in done.stderr
    body = json.loads(report.read_text())
    assert body["ending"] == "timeout" and body["status"] == "cancelled"


def test_budget_exceeded_exits_3(server: Server, tmp_path: Path) -> None:
    agent_file = tmp_path / "agent.yaml"
    agent_file.write_text(f"id: tight-budget\nmodel: {script('write')}\nmax_total_tokens: 5\n")
    created = warren("agents", "create", "-f", str(agent_file), env=server.env())
    assert created.returncode == 0, created.stderr
    report = tmp_path / "r.json"
    done = warren(
        "run",
        "-a",
        "tight-budget",
        "-i",
        "go",
        "--source",
        str(_sources(tmp_path)),
        "--json",
        str(report),
        "--delete-env",
        env=server.env(),
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert json.loads(report.read_text())["status"] == "budget_exceeded"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "default"], "exactly one of --input or --input-file"),
        (["-a", "default", "-i", "x", "--timeout", "soon"], "--timeout 'soon'"),
        (["-a", "no-such-agent", "-i", "x"], "no-such-agent"),
        (["-a", "default", "-i", "x", "--source", "/no/such/path"], "no such file or folder"),
        (["-a", "default", "-i", "x", "--bogus"], "No such option: --bogus"),
    ],
)
def test_bad_usage_exits_2_with_one_line(server: Server, args: list[str], message: str) -> None:
    done = warren("run", *args, env=server.env())
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_ctrl_c_cancels_the_interaction(server: Server) -> None:
    proc = subprocess.Popen(
        [WARREN, "run", "-a", "default", "--model", script("long"), "-i", "go", "--delete-env"],
        env=server.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    interaction_id = None
    deadline = time.monotonic() + 60
    while interaction_id is None and time.monotonic() < deadline:
        line = proc.stderr.readline()
        found = re.search(r"interaction (int_\w+)", line)
        interaction_id = found.group(1) if found else None
    assert interaction_id, "the run never reported its interaction"
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    with server.http() as client:
        assert client.get(f"/v1beta/interactions/{interaction_id}").json()["status"] == "cancelled"
