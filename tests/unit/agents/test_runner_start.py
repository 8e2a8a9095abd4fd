"""The runner's start command: the working folder (the agent's `/workspace`) shadows none of its modules.

The runner is started the way every sandbox starts it (`RUNNER_COMMAND`, with this interpreter) in a
folder holding a `logging.py` the agent could have left there; a socket that refuses the claim ends
it right after its imports.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.protocol import SOCKET_ENV
from orchestrator.interactions.runner_sandbox import RUNNER_COMMAND

REPO = Path(__file__).resolve().parents[3]
SHADOW = "from pathlib import Path\nPath('SHADOWED').write_text('imported')\nraise SystemExit(7)\n"


@pytest.fixture
def refusing_socket(tmp_path: Path) -> Iterator[Path]:
    """A channel socket that answers every request with 409 (no claim armed)."""
    path = tmp_path / "orchestrator.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()

    def answer() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request and (chunk := conn.recv(4096)):
                    request += chunk
                conn.sendall(b"HTTP/1.1 409 Conflict\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield path
    server.close()


def test_a_module_in_the_working_folder_is_not_imported_by_the_runner(
    tmp_path: Path, refusing_socket: Path
) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "logging.py").write_text(SHADOW)
    env = {**os.environ, "PYTHONPATH": str(REPO), SOCKET_ENV: str(refusing_socket)}
    done = subprocess.run(
        [sys.executable, *RUNNER_COMMAND[1:]],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert not (workspace / "SHADOWED").exists(), done.stderr
    assert "refused the runner's claim: 409" in done.stderr


def test_the_runner_start_leaves_what_its_first_turn_does_not_need_unimported() -> None:
    """httpx (http hooks only) and Playwright (the browser) load on first use, not in every start."""
    code = "import sys, agents.startup, agents.runner, agents.tools; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-P", "-c", code],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = set(done.stdout.split())
    assert "agents.tools.toolbox" in loaded
    assert not {"httpx", "playwright"} & loaded
