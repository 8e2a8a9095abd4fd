"""Human approval from the CLI (issue 17, item 4), end to end: a real server, real sandboxes, the
scripted model, and an agent whose `require_approval` guards the `run_code` call that writes
`marker.txt`. The marker in the workspace is the proof of whether the call ran.

`warren run` off a terminal stops at the request (exit 4) and prints the `warren approve` command;
that command approves (the marker appears) or denies with a reason (no marker, and the model's next
turn quotes the reason). On a terminal (a pseudo-terminal as stdin) `warren run` asks, and the
answer continues the same run.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.conftest import WARREN, Server, script, warren

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

_AGENT = """id: {id}
model: {model}
require_approval:
  - {{tool: ^run_code$, arguments: marker, reason: it writes the marker}}
"""


@pytest.fixture(scope="module")
def guarded(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An agent whose rule holds every `run_code` call that mentions the marker (deleted afterwards:
    other tests list the tenant's agents)."""
    path = tmp_path_factory.mktemp("agent") / "agent.yaml"
    path.write_text(_AGENT.format(id="approval-guarded", model=script("approve")))
    created = warren("agents", "create", "-f", str(path), env=server.env())
    assert created.returncode == 0, created.stderr
    yield "approval-guarded"
    deleted = warren("agents", "delete", "approval-guarded", env=server.env())
    assert deleted.returncode == 0, deleted.stderr


@pytest.fixture(autouse=True)
def _sandboxes_deleted(server: Server) -> Iterator[None]:
    """Delete the environments each test made: the session's server caps the tenant's sandboxes at
    10, and the CLI tests after these need room for their own."""
    with server.http() as client:
        before = {e["id"] for e in client.get("/v1beta/environments").json().get("environments", [])}
    yield
    with server.http() as client:
        for environment in client.get("/v1beta/environments").json().get("environments", []):
            if environment["id"] not in before:
                client.delete(f"/v1beta/environments/{environment['id']}")


def _run_off_a_terminal(server: Server, agent: str, report: Path) -> subprocess.CompletedProcess[str]:
    return warren(
        "run", "-a", agent, "-i", "go", "--json", str(report), env=server.env(), stdin=subprocess.DEVNULL
    )


def _marker(server: Server, environment_id: str) -> str | None:
    with server.http() as client:
        answer = client.get(
            f"/v1beta/environments/{environment_id}/files/marker.txt", params={"alt": "media"}
        )
    return answer.text if answer.status_code == 200 else None


def _paused(server: Server, guarded: str, tmp_path: Path) -> tuple[dict[str, object], list[str]]:
    """Run the guarded agent off a terminal; returns its report and the printed approve command."""
    report = tmp_path / "paused.json"
    done = _run_off_a_terminal(server, guarded, report)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "[approval] run_code needs approval (it writes the marker):\n" in done.stdout
    assert "echo ran > marker.txt && echo marker written" in done.stdout
    assert "approval needed for run_code: it writes the marker" in done.stderr
    body = json.loads(report.read_text())
    assert body["status"] == "requires_action" and body["exit_code"] == 4
    command = re.search(r"^\s+(warren approve \S+ --url \S+)$", done.stderr, re.MULTILINE)
    assert command, done.stderr
    assert f"warren approve {body['interaction_id']} --url {server.url}" == command.group(1)
    assert f"{command.group(1)} --deny --reason TEXT" in done.stderr
    assert _marker(server, body["environment_id"]) is None, "the guarded call ran before approval"
    return body, shlex.split(command.group(1))[1:]


def test_run_off_a_terminal_stops_and_warren_approve_runs_the_call(
    server: Server, guarded: str, tmp_path: Path
) -> None:
    paused, command = _paused(server, guarded, tmp_path)
    done = warren(*command, env=server.env(), stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    continued = done.stdout.splitlines()[0]
    assert re.fullmatch(r"int_\w+", continued) and continued != paused["interaction_id"]
    assert "[answer] After the command: marker written" in done.stdout
    assert _marker(server, str(paused["environment_id"])) == "ran\n"
    logs = warren("logs", continued, env=server.env())
    assert "[approval] approved" in logs.stdout, logs.stdout


def test_warren_approve_deny_never_runs_the_call_and_the_model_reads_the_reason(
    server: Server, guarded: str, tmp_path: Path
) -> None:
    paused, command = _paused(server, guarded, tmp_path)
    done = warren(
        *command, "--deny", "--reason", "not on a Friday", env=server.env(), stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer = re.search(r"^\[answer\] After the command: (.*)$", done.stdout, re.MULTILINE)
    assert answer and "not on a Friday" in answer.group(1), done.stdout
    assert _marker(server, str(paused["environment_id"])) is None, "a denied call ran"
    logs = warren("logs", done.stdout.splitlines()[0], env=server.env())
    assert "[approval] denied: not on a Friday" in logs.stdout, logs.stdout


def test_warren_approve_refuses_what_waits_on_no_approval(server: Server, tmp_path: Path) -> None:
    report = tmp_path / "done.json"
    done = warren(
        "run",
        "-a",
        "default",
        "--model",
        "scripted:echo",
        "-i",
        "hi",
        "--json",
        str(report),
        env=server.env(),
    )
    assert done.returncode == 0, done.stderr
    finished = json.loads(report.read_text())["interaction_id"]
    refused = warren("approve", finished, env=server.env())
    assert refused.returncode == 2 and "waits on no approval (it is completed)" in refused.stderr
    missing = warren("approve", "int_nosuch", env=server.env())
    assert missing.returncode == 2 and "int_nosuch" in missing.stderr
    reason_alone = warren("approve", finished, "--reason", "x", env=server.env())
    assert reason_alone.returncode == 2 and "--reason goes with --deny" in reason_alone.stderr


@contextmanager
def _asked(server: Server, agent: str, report: Path) -> Iterator[tuple[subprocess.Popen[str], int, str]]:
    """`warren run` with a pseudo-terminal as stdin, once it asks; yields it, the terminal's typing
    end and the stderr read so far."""
    typist, screen = pty.openpty()
    proc = subprocess.Popen(
        [WARREN, "run", "-a", agent, "-i", "go", "--json", str(report)],
        env=server.env(),
        stdin=screen,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(screen)
    try:
        assert proc.stderr is not None
        seen, deadline = "", time.monotonic() + 180
        while "Approve run_code? [y/N]" not in seen and time.monotonic() < deadline:
            chunk = os.read(proc.stderr.fileno(), 4096).decode()
            assert chunk, f"the run ended without asking: {seen}"
            seen += chunk
        assert "Approve run_code? [y/N]" in seen, seen
        yield proc, typist, seen
    finally:
        os.close(typist)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_on_a_terminal_asks_and_continues_in_the_same_run(
    server: Server, guarded: str, tmp_path: Path
) -> None:
    report = tmp_path / "asked.json"
    with _asked(server, guarded, report) as (proc, typist, seen):
        os.write(typist, b"y\n")
        out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, out + seen + err
    assert "approved: continuing in interaction" in err
    assert "[approval] run_code needs approval" in out and "[answer] After the command: marker written" in out
    body = json.loads(report.read_text())
    assert body["status"] == "completed" and body["exit_code"] == 0
    assert len(body["interaction_ids"]) == 2 and body["interaction_id"] == body["interaction_ids"][1]
    kinds = [s["type"] for s in body["steps"]]
    assert "code_execution_result" in kinds and kinds.count("model_output") >= 2, kinds
    assert _marker(server, body["environment_id"]) == "ran\n"


def test_ctrl_c_at_the_prompt_exits_130_and_leaves_the_request_unanswered(
    server: Server, guarded: str, tmp_path: Path
) -> None:
    report = tmp_path / "interrupted.json"
    with _asked(server, guarded, report) as (proc, _typist, seen):
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + seen + err
    body = json.loads(report.read_text())
    assert body["ending"] == "interrupted" and body["interaction_ids"] == [body["interaction_id"]]
    with server.http() as client:
        stored = client.get(f"/v1beta/interactions/{body['interaction_id']}").json()
    assert stored["status"] == "requires_action", "Ctrl-C at the prompt must not cancel or answer"
    assert _marker(server, body["environment_id"]) is None
    assert f"warren approve {body['interaction_id']} --url {server.url}" in err
