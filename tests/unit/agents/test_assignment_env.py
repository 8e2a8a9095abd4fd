"""A warm-pool sandbox's shells learn its environment's variables from one file (`BASH_ENV`).

The startup files that make login and interactive shells (`warren attach`) read it are written while
the slot waits, with the file itself empty; the hand-over then writes only the variables. Each
shell here is a real bash with the sandbox's `HOME`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from agents.assignment import _export, _startup_files


def _shell(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "BASH_ENV": str(home / ".warren-env")}
    return subprocess.run(["bash", *args], env=env, capture_output=True, text=True, timeout=30, check=False)


def test_login_and_plain_shells_see_the_variables_only_once_they_are_exported(tmp_path: Path) -> None:
    env_file = str(tmp_path / ".warren-env")
    _startup_files(env_file)
    waiting = _shell(tmp_path, "-lc", 'echo "[$GREETING]"')
    assert (waiting.stdout, waiting.stderr) == ("[]\n", ""), "before the assignment: nothing, no error"

    _export({"GREETING": "hello pool", "not a name": "x"}, env_file)
    for args in (("-lc",), ("-ic",), ("-c",)):  # login (attach), interactive, `docker exec bash -c`
        seen = _shell(tmp_path, *args, 'echo "[$GREETING]"')
        assert seen.stdout.endswith("[hello pool]\n"), (args, seen.stdout, seen.stderr)

    _startup_files(env_file)  # a restarted runner waits again: the variables stay until the next export
    assert _shell(tmp_path, "-lc", 'echo "[$GREETING]"').stdout == "[hello pool]\n"
    assert (tmp_path / ".profile").read_text() == f". {env_file}\n"
