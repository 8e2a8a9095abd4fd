"""docs/security.md names a test for every defence: each one it names must exist, so the map cannot
point at a test that was renamed or removed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_CELL = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)?)[^`]*`((?:,\s*`::\w+[^`]*`)*)")
_MORE = re.compile(r"`::(\w+)")


def _named() -> list[tuple[str, str | None]]:
    """(file, test or None) for every test reference in the document; `::x` after a file is that file's."""
    found: list[tuple[str, str | None]] = []
    for match in _CELL.finditer((REPO / "docs" / "security.md").read_text()):
        path, first, more = match.groups()
        found.append((path, first.removeprefix("::") or None))
        found += [(path, name) for name in _MORE.findall(more)]
    return found


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def test_every_test_the_security_map_names_exists() -> None:
    named = _named()
    assert len(named) > 50, "the document's references were not found: has its format changed?"
    missing = []
    for file, test in named:
        path = REPO / file
        if not path.exists():
            missing.append(file)
        elif test is not None and test not in _tests_in(path):
            missing.append(f"{file}::{test}")
    assert not missing, f"docs/security.md names tests that do not exist: {sorted(set(missing))}"
