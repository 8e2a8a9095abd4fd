"""Fixtures for the in-sandbox tools, run in-process on the host with a temporary workspace."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agents.tools import Toolbox, ToolboxConfig

REPO = Path(__file__).resolve().parents[3]
SKILLS = REPO / "skills"
CHROMIUM = os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium")

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (set WARREN_CHROMIUM)"
)


@pytest.fixture(scope="module")
def module_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace shared by one module's tests (the code sessions are expensive to start)."""
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
async def toolbox(module_workspace: Path) -> AsyncIterator[Toolbox]:
    """One Toolbox per module: a kernel, a shell and a browser kept alive across its tests."""
    async with Toolbox(
        ToolboxConfig(workspace=module_workspace, skills_root=SKILLS, chromium=CHROMIUM)
    ) as tools:
        yield tools


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh, empty workspace for one test."""
    root = tmp_path / "workspace"
    root.mkdir()
    return root


@pytest.fixture
def file_toolbox(workspace: Path) -> Toolbox:
    """A Toolbox over a fresh workspace for the file tools (which hold no session state)."""
    return Toolbox(ToolboxConfig(workspace=workspace, skills_root=SKILLS))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small static site served on 127.0.0.1 by a listener this test module starts."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(Path(__file__).parent / "site", root, dirs_exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
