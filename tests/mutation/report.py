"""After `mutmut run`: the score per module, and every mutant that was not killed triaged.

A mutant that survives is accounted for in one of two ways (tests/mutation/EQUIVALENT.md says why):

- listed in EQUIVALENT.md with its change and why no test can tell it from the original;
- *message-only*, recognised here by rule: it changes only human prose, that is a log call's
  arguments, or a string literal with a space in it inside a `raise` statement, changed as mutmut
  changes text ("XX" around it, its case) or replaced by None. Identifiers, codes, field paths, the error's
  class and every other argument stay mutated and must be killed.

Exits 1 when a mutant survives that neither accounts for (write a test that kills it, or list it
with the reason), or when a listed change no longer matches the mutant of that id (the code moved:
triage it again).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
_NAME = re.compile(r"^(?P<module>.+?)\.x(?:_|\u01c1)(?P<function>.+)__mutmut_\d+$")
_ENTRY = re.compile(r"^### `(?P<id>[^`]+)`\n- change: `(?P<change>.*)`$", re.MULTILINE)
_STRING = re.compile(r"""[rbfuRBFU]{0,2}(?P<q>"|')(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)""")
_LOGGERS = frozenset({"log", "logger", "_log"})
KILLED = ("killed", "caught by type check", "timeout")


def _results() -> dict[str, str]:
    out = subprocess.run([MUTMUT, "results", "--all", "true"], capture_output=True, text=True, check=True)
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if _NAME.match(name):
            found[name] = status
    return found


def _source_path(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def _diff(mutant: str) -> str:
    """`mutmut show`'s diff, in process when mutmut's API allows (one subprocess each is slow)."""
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant
    except ImportError:  # pragma: no cover - another mutmut layout: ask the CLI
        return subprocess.run([MUTMUT, "show", mutant], capture_output=True, text=True, check=True).stdout
    match = _NAME.match(mutant)
    assert match is not None
    return get_diff_for_mutant(mutant, path=_source_path(match["module"]).relative_to(ROOT))


def _changed(diff: str) -> tuple[list[str], list[str]]:
    """The removed and the added lines of a diff, stripped."""
    lines = diff.splitlines()
    removed = [line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
    return removed, added


def change_of(mutant: str) -> str:
    """The mutated line as `mutmut show` prints it (the `+` line of its diff), stripped."""
    return " / ".join(_changed(_diff(mutant))[1])


@cache
def _prose_statements(module: str) -> tuple[frozenset[str], frozenset[str]]:
    """The stripped source lines that lie only inside a log call, and only inside a `raise`."""
    source = _source_path(module).read_text()
    lines = source.splitlines()
    logged: set[int] = set()
    raised: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise):
            raised.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in _LOGGERS
        ):
            logged.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))

    def only_in(chosen: set[int]) -> frozenset[str]:
        inside = {lines[n - 1].strip() for n in chosen}
        outside = {line.strip() for n, line in enumerate(lines, 1) if n not in chosen}
        return frozenset(inside - outside)

    return only_in(logged), only_in(raised)


def _prose_literal_only(before: str, after: str) -> bool:
    """One string literal with a space in it changed as mutmut changes text, or replaced by None;
    nothing else changed."""
    for literal in _STRING.finditer(before):
        if " " in literal["text"] and before[: literal.start()] + "None" + before[literal.end() :] == after:
            return True
    if _STRING.sub('""', before) != _STRING.sub('""', after):
        return False
    pairs = [
        (old["text"], new["text"])
        for old, new in zip(_STRING.finditer(before), _STRING.finditer(after), strict=True)
        if old["text"] != new["text"]
    ]
    if len(pairs) != 1:
        return False
    old, new = pairs[0]
    return " " in old and new in (f"XX{old}XX", old.upper(), old.lower())


def message_only(module: str, diff: str) -> bool:
    """Whether the mutant changes only a log line or the prose of a raised error (see the docstring)."""
    removed, added = _changed(diff)
    if not removed:
        return False
    logged, raised = _prose_statements(module)
    if all(line in logged for line in removed if line.strip(")]}, ")):  # a bracket alone is no content
        return True
    return len(removed) == len(added) and all(
        old in raised and _prose_literal_only(old, new) for old, new in zip(removed, added, strict=True)
    )


def main() -> int:
    results = _results()
    if not results:
        print("no mutation results: run `mutmut run` first", file=sys.stderr)
        return 2
    listed = {m["id"]: m["change"] for m in _ENTRY.finditer((HERE / "EQUIVALENT.md").read_text())}
    total: Counter[str] = Counter()
    killed: Counter[str] = Counter()
    equivalent: Counter[str] = Counter()
    prose: Counter[str] = Counter()
    untriaged: Counter[str] = Counter()
    problems: list[str] = []
    for name, status in sorted(results.items()):
        match = _NAME.match(name)
        assert match is not None
        module = match["module"]
        total[module] += 1
        if status in KILLED:
            killed[module] += 1
            continue
        diff = _diff(name)
        change = " / ".join(_changed(diff)[1])
        if name in listed:
            equivalent[module] += 1
            if change != listed[name]:
                problems.append(f"listed change is stale: {name}: now `{change}`, listed `{listed[name]}`")
        elif message_only(module, diff):
            prose[module] += 1
        else:
            untriaged[module] += 1
            problems.append(f"{status}, not triaged: {name}: `{change}`")
    print(f"{'module':40} {'killed':>7} {'equiv':>6} {'message':>8} {'untriaged':>10} {'total':>6}")
    for module in sorted(total):
        row = (killed[module], equivalent[module], prose[module], untriaged[module], total[module])
        print(f"{module:40} {row[0]:7} {row[1]:6} {row[2]:8} {row[3]:10} {row[4]:6}")
    sums = (killed, equivalent, prose, untriaged, total)
    print(
        f"{'all':40} "
        + " ".join(f"{sum(c.values()):{w}}" for c, w in zip(sums, (7, 6, 8, 10, 6), strict=True))
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
