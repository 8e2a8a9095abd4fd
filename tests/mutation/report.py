"""After `mutmut run`: the score per module, and every mutant that was not killed checked against
tests/mutation/EQUIVALENT.md, where each one is listed with its change and why no test can kill it.

Exits 1 when a mutant survives that the file does not list (write a test that kills it, or list it
with the reason), or when a listed change no longer matches the mutant of that id (the code moved:
triage it again).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
_NAME = re.compile(r"^(?P<module>.+?)\.x(?:_|\u01c1)(?P<function>.+)__mutmut_\d+$")
_ENTRY = re.compile(r"^### `(?P<id>[^`]+)`\n- change: `(?P<change>.*)`$", re.MULTILINE)


def _results() -> dict[str, str]:
    out = subprocess.run([MUTMUT, "results", "--all", "true"], capture_output=True, text=True, check=True)
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if _NAME.match(name):
            found[name] = status
    return found


def change_of(mutant: str) -> str:
    """The mutated line as `mutmut show` prints it (the `+` line of its diff), stripped."""
    diff = subprocess.run([MUTMUT, "show", mutant], capture_output=True, text=True, check=True).stdout
    added = [
        line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
    ]
    return " / ".join(added)


def main() -> int:
    results = _results()
    if not results:
        print("no mutation results: run `mutmut run` first", file=sys.stderr)
        return 2
    listed = {m["id"]: m["change"] for m in _ENTRY.finditer((HERE / "EQUIVALENT.md").read_text())}
    total: Counter[str] = Counter()
    killed: Counter[str] = Counter()
    problems: list[str] = []
    for name, status in sorted(results.items()):
        match = _NAME.match(name)
        assert match is not None
        module = match["module"]
        total[module] += 1
        if status in ("killed", "caught by type check", "timeout"):
            killed[module] += 1
            continue
        if name not in listed:  # `mutmut show NAME` prints its change (one call each: slow for many)
            problems.append(f"{status}, not listed: {name}")
        elif (change := change_of(name)) != listed[name]:
            problems.append(f"listed change is stale: {name}: now `{change}`, listed `{listed[name]}`")
    print(f"{'module':45} killed / total")
    for module in sorted(total):
        print(f"{module:45} {killed[module]:6} / {total[module]}")
    print(f"{'all':45} {sum(killed.values()):6} / {sum(total.values())}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
