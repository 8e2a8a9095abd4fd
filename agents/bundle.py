"""The runner's start-up modules in one file, so a cold start under gVisor reads one file, not ~290.

Under gVisor every import pays its file operations through the gofer (a directory `stat` per path
entry, then `stat`, `open`, `read`, `close` of the module's bytecode): about 2 ms a module on these
machines, most of a cold runner's start. The image build imports the runner's start path once and
writes every pure-Python module it loaded, compiled, to `RUNNER_BUNDLE`
(`python -P -S -m agents.boot --build-bundle PATH`); the runner's entry (`agents.boot`) reads it with one
`read` and serves those modules from memory. Each module's `__file__` and code names its real file,
so tracebacks, `inspect` and package resources work as before; a package keeps its directory as its
search path, so what the bundle lacks (extension modules, anything imported later) loads from disk
as usual. The image is immutable and built in one go, so the bundle is the image's own files.
"""

from __future__ import annotations

import importlib
import marshal
import sys
from importlib.machinery import ModuleSpec
from importlib.util import MAGIC_NUMBER

TYPE_CHECKING = False  # not `typing`'s: at run time this module imports only what is loaded already
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

__all__ = ["DOCSTRINGS_ARE_DATA", "RUNNER_BUNDLE", "START_PATH", "BundleFinder", "build", "install"]

RUNNER_BUNDLE = "/opt/warren/runner-modules.bin"
"""Where the image keeps the bundle: beside the package, on the read-only root filesystem."""

START_PATH = (
    "agents.startup",
    "ctypes",
    "agents.runner",
    "agents.tools",
    "agents.forwarder",
    "agents.assignment",
)
"""What `agents.startup.main` imports before the first turn runs (`ctypes`: its `prctl`)."""

DOCSTRINGS_ARE_DATA = frozenset({"agents.tools.args"})
"""Modules compiled with their docstrings and asserts: the argument classes' docstrings are the
built-in tools' descriptions (`agents.tools.declarations`). Every other module is compiled as
`python -OO` would (no docstrings, no asserts): 1.3 MB less of each idle gVisor sandbox (36.2 ->
34.9 MB, 20 held), and less to unmarshal on a cold start."""

_Entry = tuple[bytes, "list[str] | None", str]
"""A module's marshalled code, its package search path (None for a plain module), its file."""


class BundleFinder:
    """A meta path finder and loader that serves the bundle's modules; each entry is dropped once
    used, so the bundle's memory goes back as the start path runs."""

    def __init__(self, modules: dict[str, _Entry]) -> None:
        self._modules = modules

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        entry = self._modules.get(name)
        if entry is None:
            return None
        _, locations, origin = entry
        # a Loader by protocol: `importlib.abc.Loader` would load tempfile, shutil and typing from disk
        spec = ModuleSpec(name, self, origin=origin, is_package=locations is not None)  # type: ignore[arg-type]
        if locations is not None:
            spec.submodule_search_locations = list(locations)
        spec.has_location = True  # sets __file__ (and __cached__) from the real file
        return spec

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        code, _, _ = self._modules.pop(module.__spec__.name)  # type: ignore[union-attr]
        # the image's own bytecode, from a root-owned file on the read-only root filesystem
        exec(marshal.loads(code), module.__dict__)  # noqa: S102, S302

    def __len__(self) -> int:
        return len(self._modules)


def build(
    destination: str, roots: Sequence[str] = START_PATH, keep_docstrings: frozenset[str] = DOCSTRINGS_ARE_DATA
) -> int:
    """Import `roots` and write every pure-Python module they loaded to `destination`, compiled
    without docstrings and asserts but for `keep_docstrings`; returns the count. Run by the image
    build with the interpreter the runner uses, in a fresh process: what was loaded before is what
    the runner has loaded when it installs the bundle."""
    already = set(sys.modules)
    for root in roots:
        importlib.import_module(root)
    modules: dict[str, _Entry] = {}
    for name in sorted(set(sys.modules) - already):
        spec = getattr(sys.modules[name], "__spec__", None)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue  # extension modules and namespace packages load from disk
        with open(spec.origin, "rb") as file:
            source = file.read()
        # dont_inherit: this module's `from __future__ import annotations` must not reach the code
        optimize = 0 if name in keep_docstrings else 2
        code = compile(source, spec.origin, "exec", dont_inherit=True, optimize=optimize)
        search = spec.submodule_search_locations
        locations = list(search) if search is not None else None
        modules[name] = (marshal.dumps(code), locations, spec.origin)
    with open(destination, "wb") as file:
        file.write(marshal.dumps((MAGIC_NUMBER, modules)))
    return len(modules)


def install(source: str = RUNNER_BUNDLE) -> BundleFinder | None:
    """Serve the bundle's modules ahead of every other finder; None (and nothing changed) when there
    is no bundle or another Python wrote it."""
    try:
        with open(source, "rb") as file:
            magic, modules = marshal.loads(file.read())  # noqa: S302 (the image's file, as above)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if magic != MAGIC_NUMBER:
        return None
    finder = BundleFinder(modules)
    sys.meta_path.insert(0, finder)
    return finder
