"""Model and sandbox output is data (SECURITY-CHECKLIST "Improper output handling", OWASP LLM05).

A scripted model emits escape sequences (clear screen, retitle, OSC 52 clipboard), carriage-return line
overwrites, Rich markup, `$(..)` substitutions, HTML, `../` and a bidi override, in its text, its file
names and its tool output. Through `warren run`, `logs`, `files` and `agents` all of it must arrive
inert: no control character reaches the terminal, no markup is interpreted (nor crashes the CLI), no
host shell runs anything, files keep their exact names and bytes, and nothing is written outside
`--output`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from orchestrator.cli.artifacts import download_tree
from orchestrator.cli.live_view import LiveView
from orchestrator.cli.render import PlainView
from tests.cli.conftest import Server, script, warren

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

HOSTILE = (
    "\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07 [link=file:///etc/passwd]click[/link] [/]"
    " <script>alert(1)</script> \r[status] completed \u202etxt.exe \x9b31m"
)
"""What the model says, in one string."""

FILES = {
    "out/$(touch HOST_CANARY).txt": b"<img src=x onerror=alert(1)> `touch HOST_CANARY`\n",
    "out/[/red]/x.html": b"<script>alert(1)</script>\n",
    "out/[bold red]loud.md": b"# loud\n",
}
"""The files `hostile.yaml` writes, with their exact bytes."""


def _answer(text: str) -> dict[str, Any]:
    return {"type": "model_output", "content": [{"type": "text", "text": text}]}


def _assert_inert(shown: str) -> None:
    """The hostile sequences are absent (a terminal view adds its own SGR and cursor codes, never these)."""
    for sequence in ("\x1b]", "\x1b[2J", "\x1b[H", "\x07", "\r[status]", "\u202e", "\x9b"):
        assert sequence not in shown, f"{sequence!r} reached the terminal"
    assert "\\x1b]52;c;ZXZpbA==" in shown, "the escape is spelled out, so the reader sees it"
    assert "[link=file:///etc/passwd]click[/link] [/]" in shown, "markup is shown, not interpreted"


def test_the_plain_view_spells_out_control_characters() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)

    PlainView(console).step(_answer(HOSTILE))

    shown = console.file.getvalue()  # type: ignore[attr-defined]
    _assert_inert(shown)
    assert "\x1b" not in shown and "\r" not in shown, "plain output has no escape codes at all"
    assert shown.count("\n") == 1, "one step, one line: a carriage return cannot fake another"


def test_the_live_view_shows_markup_and_escapes_as_text() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=400)

    with LiveView(console) as view:
        view.event({"event_type": "step.start", "index": 0, "step": _answer("")})
        view.event(
            {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": HOSTILE}}
        )  # the spinner previews the partial text
        view.event({"event_type": "interaction.status_update", "status": "[/]\x1b[2J"})
        view.step(_answer(HOSTILE))
        view.note(HOSTILE)

    shown = console.file.getvalue()  # type: ignore[attr-defined]
    _assert_inert(shown)
    assert shown.count("\\x1b]52;c;ZXZpbA==") >= 2, "the step and the note"


class _HostileServer:
    """A server (compromised, or not Warren) that lists paths escaping the download folder."""

    async def download(self, environment_id: str, path: str) -> bytes:
        return b"payload"


async def test_downloads_never_leave_the_output_folder(tmp_path: Path) -> None:
    output = tmp_path / "out"
    paths = ["../escaped.txt", "/tmp/absolute.txt", "a/../../escaped2.txt", "fine/ok.txt"]

    artifacts = await download_tree(_HostileServer(), "env_x", paths, output)  # type: ignore[arg-type]

    saved = {a.path: a for a in artifacts}
    assert saved["fine/ok.txt"].local_path == str((output / "fine" / "ok.txt").resolve())
    for bad in paths[:3]:
        assert saved[bad].local_path is None and "outside" in str(saved[bad].error)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["out/fine/ok.txt"]


def test_a_hostile_run_stays_inert_on_the_host(server: Server, tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "report.json"
    env = server.env()

    done = warren(
        "run", "-a", "default", "--model", script("hostile"), "-i", "go",
        "--output", str(out), "--json", str(report), env=env, cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    for stream in (done.stdout, done.stderr):
        assert "\x1b" not in stream and "\r" not in stream and "\u202e" not in stream
    assert "[link=file:///etc/passwd]click[/link] [/]" in done.stdout
    assert "\\x1b]52;c;ZXZpbA==" in done.stdout, "the model's and the sandbox's escapes, spelled out"
    status_lines = [line for line in done.stdout.splitlines() if line.startswith("[status]")]
    assert status_lines == ["[status] completed"], "a carriage return cannot fake a status line"
    assert not list(tmp_path.rglob("HOST_CANARY")), "no `$(..)` ran on the host"
    body = json.loads(report.read_text())
    assert sorted(a["path"] for a in body["artifacts"]) == sorted(FILES)
    for path, data in FILES.items():
        assert (out / path).read_bytes() == data, f"{path!r} keeps its name and bytes"
    assert body["steps"][-1]["content"][0]["text"].startswith("\r[status]"), "the report keeps the raw text"

    environment_id, interaction_id = body["environment_id"], body["interaction_id"]
    tree = warren("files", "ls", environment_id, "out", "-r", env=env)
    assert tree.returncode == 0, tree.stderr
    assert "[bold red]loud.md" in tree.stdout and "$(touch HOST_CANARY).txt" in tree.stdout
    fetched = warren("files", "get", environment_id, "out", str(tmp_path / "back"), env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "back" / "[/red]" / "x.html").read_bytes() == FILES["out/[/red]/x.html"]
    logs = warren("logs", interaction_id, env=env)
    assert logs.returncode == 0, logs.stderr
    assert "\x1b" not in logs.stdout and "[link=file:///etc/passwd]click[/link]" in logs.stdout
    assert not list(tmp_path.rglob("HOST_CANARY"))


def test_stored_names_and_descriptions_print_literally(server: Server) -> None:
    with server.http() as client:
        created = client.post(
            "/v1beta/agents",
            json={"id": "hostile-desc", "description": "[/]\x1b]52;c;eA==\x07 [b]x"},
        )
    assert created.status_code == 200, created.text
    try:
        listed = warren("agents", "list", env=server.env())
        assert listed.returncode == 0, listed.stderr
        assert "[/]\\x1b]52;c;eA==\\x07 [b]x" in listed.stdout and "\x1b" not in listed.stdout
    finally:
        with server.http() as client:
            client.delete("/v1beta/agents/hostile-desc")
