"""The runner's module bundle (`agents.bundle`): what it serves comes from the bundle, with the real
file's name; what it lacks loads from disk; a bundle from another Python is ignored; and the bundle of
the runner's start path covers every pure-Python module that path imports, with pydantic's plugin
search left out.

Each check runs in a fresh interpreter, so the bundle's finder never enters this test process.
"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

from orchestrator.interactions.runner_sandbox import RUNNER_COMMAND
from tests.support.fresh_python import REPO, run_python


def _package(root: Path) -> Path:
    """A package `pkgb` with a module the bundle takes (`mod`) and one it does not (`late`)."""
    package = root / "pkgb"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("VALUE = 1\nsize: int = 3\n")
    (package / "late.py").write_text("VALUE = 'disk'\n")
    return package


def test_the_bundle_serves_its_modules_and_leaves_the_rest_to_the_disk(tmp_path: Path) -> None:
    package = _package(tmp_path / "src")
    bundle = tmp_path / "modules.bin"
    run_python(f"from agents.bundle import build; build({str(bundle)!r}, ('pkgb.mod',))", package.parent)
    (package / "mod.py").write_text("VALUE = 2\nsize: int = 3\n")  # changed after the build
    report = run_python(
        f"""
import json
from agents.bundle import BundleFinder, install
finder = install({str(bundle)!r})
import pkgb.mod, pkgb.late
print(json.dumps({{
    "value": pkgb.mod.VALUE,
    "served": isinstance(pkgb.mod.__spec__.loader, BundleFinder),
    "file": pkgb.mod.__file__,
    "annotation": pkgb.mod.__annotations__["size"] is int,
    "late": pkgb.late.VALUE,
    "late_served": isinstance(pkgb.late.__spec__.loader, BundleFinder),
    "left": len(finder),
}}))
""",
        package.parent,
    )
    assert json.loads(report) == {
        "value": 1,  # the bundle's code, not the file changed on disk
        "served": True,
        "file": str(package / "mod.py"),  # tracebacks and inspect name the real file
        "annotation": True,  # the builder's `from __future__ import annotations` did not leak in
        "late": "disk",  # not in the bundle: found through the package's own folder
        "late_served": False,
        "left": 0,  # each entry is dropped once used
    }


def test_the_bundle_drops_docstrings_and_asserts_except_where_docstrings_are_data(tmp_path: Path) -> None:
    package = _package(tmp_path / "src")
    module = '"""Module doc."""\nclass C:\n    """Class doc."""\n'
    module += 'def f():\n    assert False, "asserted"\n    return "ran"\n'
    (package / "doc.py").write_text(module)
    (package / "kept.py").write_text(module)
    bundle = tmp_path / "modules.bin"
    roots, kept = ("pkgb.doc", "pkgb.kept"), frozenset({"pkgb.kept"})
    build = f"from agents.bundle import build; build({str(bundle)!r}, {roots!r}, {kept!r})"
    run_python(build, package.parent)
    report = run_python(
        f"""
import json
from agents.bundle import install
install({str(bundle)!r})
import pkgb.doc, pkgb.kept
def call(f):
    try:
        return f()
    except AssertionError as exc:
        return str(exc)
print(json.dumps([[m.__doc__, m.C.__doc__, call(m.f)] for m in (pkgb.doc, pkgb.kept)]))
""",
        package.parent,
    )
    assert json.loads(report) == [[None, None, "ran"], ["Module doc.", "Class doc.", "asserted"]]


def test_the_runners_bundle_keeps_the_tool_descriptions(tmp_path: Path) -> None:
    """The argument classes' docstrings are the built-in tools' descriptions: a runner that
    declared its tools from the bundle describes them as the orchestrator does."""
    bundle = tmp_path / "modules.bin"
    run_python(f"from agents import boot, bundle; boot.prepare(None); bundle.build({str(bundle)!r})")
    code = "import json; from agents.tools.declarations import builtin_declarations; "
    code += "print(json.dumps([d.model_dump(mode='json') for d in builtin_declarations()]))"
    served = run_python(f"from agents import boot; boot.prepare({str(bundle)!r}); {code}", flags=("-P", "-S"))
    assert json.loads(served) == json.loads(run_python(code))
    assert all(declaration["description"] for declaration in json.loads(served))


def test_a_missing_broken_or_foreign_bundle_is_ignored(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes(marshal.dumps((b"\x00\x00\r\n", {"json": (b"", None, "/nowhere.py")})))
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"\xff not marshal")
    report = run_python(
        f"""
import sys
from agents.bundle import install
finders = len(sys.meta_path)
print([install(p) is None for p in ({str(tmp_path / "absent.bin")!r}, {str(foreign)!r}, {str(broken)!r})],
      len(sys.meta_path) == finders)
import json
print(json.__spec__.loader.__class__.__name__)
"""
    )
    assert report.split("\n")[:2] == ["[True, True, True] True", "SourceFileLoader"]


def test_the_start_path_bundle_covers_every_module_the_start_path_imports(tmp_path: Path) -> None:
    """What `agents.boot` imports before the first turn is all served from the bundle the image build
    writes (`--build-bundle`), and pydantic's plugin search (`importlib.metadata`) is never loaded."""
    bundle = tmp_path / "runner-modules.bin"
    subprocess.run(
        [sys.executable, *RUNNER_COMMAND[1:], "--build-bundle", str(bundle)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        timeout=120,
        check=True,
    )
    report = run_python(
        f"""
import importlib, sys
from agents.boot import prepare
from agents.bundle import START_PATH, BundleFinder
before = set(sys.modules)
finder = prepare({str(bundle)!r})
served = 0
for root in START_PATH:
    importlib.import_module(root)
from_disk = []
for name in sorted(set(sys.modules) - before):
    spec = getattr(sys.modules[name], "__spec__", None)
    if spec is None:
        continue
    if isinstance(spec.loader, BundleFinder):
        served += 1
    elif spec.origin and spec.origin.endswith(".py"):
        from_disk.append(name)
from agents.protocol import WorkItem
plugins_searched = "importlib.metadata" in sys.modules
import json
print(json.dumps({{
    "served": served, "from_disk": from_disk, "left": len(finder),
    "searched": plugins_searched, "schema": "properties" in WorkItem.model_json_schema(),
}}))
""",
        flags=RUNNER_COMMAND[1:-2],  # the runner's own interpreter flags: -P -S
    )
    result = json.loads(report)
    assert result["from_disk"] == [] and result["left"] == 0
    assert result["served"] > 150  # pydantic, asyncio and the runner's own modules
    assert not result["searched"] and result["schema"]  # models still build and validate


def test_without_a_virtual_environment_the_runner_runs_site_after_all() -> None:
    """`-S` skips `site`; `prepare` puts a virtual environment's packages on the path itself, and in
    an interpreter that is not one (its base interpreter here) it runs `site` instead."""
    code = "import sys; from agents.boot import prepare; prepare(None); print(sys.path[-1])"
    done = subprocess.run(
        [sys._base_executable, "-P", "-S", "-c", code],  # type: ignore[attr-defined]
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip().endswith("-packages")  # what `site` adds: site- or dist-packages
