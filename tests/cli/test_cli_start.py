"""The CLI's start: every `warren` command imports the root command (`orchestrator.cli.main`), so
what only some commands use (the store and its migrations, the MCP SDK, the engine's client, the
agent-file parser) is imported by those commands alone. Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.fresh_python import REPO, run_python

HEAVY = ("alembic", "sqlalchemy", "aiosqlite", "asyncpg", "mcp", "mcp_types", "docker", "requests", "fastapi")
"""Packages only some commands need (keys and doctor, mcp, image and file uploads, serve)."""


def test_the_root_command_imports_none_of_what_only_some_commands_use() -> None:
    loaded = run_python(
        "import json, sys, orchestrator.cli.main\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    assert not set(json.loads(loaded)) & set(HEAVY)


def test_the_help_still_lists_every_command_and_a_lazy_command_still_runs(tmp_path: Path) -> None:
    """The commands are all listed, and `keys create`, whose store is now imported in its body,
    still opens the store and stores the key."""
    listed = run_python(
        "from typer.testing import CliRunner\n"
        "from orchestrator.cli.main import app\n"
        "print(CliRunner().invoke(app, ['--help'], terminal_width=200).output)"
    )
    for command in ("agents", "envs", "files", "image", "keys", "serve", "run", "doctor", "mcp"):
        assert f" {command} " in listed, listed
    created = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli.main", "keys", "create", "--tenant", "lazy"],
        env={
            **{name: value for name, value in os.environ.items() if not name.startswith("WARREN_")},
            "PYTHONPATH": str(REPO),
            "WARREN_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().startswith("wk_")
    assert (tmp_path / "warren.db").is_file()
