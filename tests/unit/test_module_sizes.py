"""`scripts/module_sizes.py` (run by `make lint`) holds the size limits of issue 14."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("module_sizes", ROOT / "scripts" / "module_sizes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tree_holds_the_limits() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "module_sizes.py")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    assert "median" in done.stdout


def test_a_module_past_the_limit_and_a_high_median_are_refused() -> None:
    sizes = _script()
    small = {f"orchestrator/m{i}.py": 50 for i in range(9)}
    assert sizes.problems(small) == []
    assert sizes.problems({**small, "agents/tools/pyworker.py": 900}) == []  # the stated exception
    big = sizes.problems({**small, "orchestrator/big.py": 401})
    assert big == ["orchestrator/big.py has 401 lines (limit 400); split it by responsibility"]
    assert sizes.problems({**small, "orchestrator/edge.py": 400}) == []
    wide = sizes.problems({f"orchestrator/w{i}.py": 121 for i in range(3)})
    assert wide == ["the median module has 121 lines (limit 120)"]
