"""The runner's entry in the sandbox (`python -P -S -m agents.boot`): serve the start path's modules
from the image's bundle (`agents.bundle`), then start the runner (`agents.startup`).

The image build runs `python -P -S -m agents.boot --build-bundle PATH`, which prepares the process
the same way (`prepare`) and writes the bundle instead of starting: the bundle holds what this start
imports. Outside an image built with the bundle, nothing is served from it and the runner starts as
before.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

from agents.bundle import RUNNER_BUNDLE, BundleFinder, build, install
from agents.lean_imports import hold_back

__all__ = ["prepare", "without_pydantic_plugins"]

_PLUGIN_LOADER = "pydantic.plugin._loader"


def _no_plugins() -> tuple[()]:
    return ()


def without_pydantic_plugins() -> None:
    """Pydantic looks for plugins with `importlib.metadata` (which brings email, zipfile, csv, bz2 and
    lzma: 50-100 ms of a cold start under gVisor, ~1.4 MB) and scans every installed distribution
    when the first model class is made. The runner installs none, so the loader is replaced, before
    pydantic imports it, by one that finds none: what `PYDANTIC_DISABLE_PLUGINS` does, without the
    import. Only in the runner's process; the agent's own Python never sees it."""
    loader = ModuleType(_PLUGIN_LOADER)
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]
    sys.modules.setdefault(_PLUGIN_LOADER, loader)


def _with_site_packages() -> None:
    """Under `-S` (no `site`: its folder listings and `.pth` files cost ~60 ms of a fresh gVisor
    sandbox) the virtual environment's packages are put on the path here, which is all the runner
    needs of `site`; outside a virtual environment `site` runs after all."""
    if not sys.flags.no_site:
        return
    venv = os.path.dirname(os.path.dirname(sys.executable))
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    packages = os.path.join(venv, "lib", version, "site-packages")
    if os.path.isfile(os.path.join(venv, "pyvenv.cfg")) and os.path.isdir(packages):
        if packages not in sys.path:
            sys.path.append(packages)
    else:
        import site

        site.main()


def prepare(bundle: str | None = RUNNER_BUNDLE) -> BundleFinder | None:
    """The process as the runner's start needs it: the packages on the path, `bundle` (None: none)
    serving the start path, pydantic's plugin search and the optional shared libraries
    (`agents.lean_imports`) left out."""
    _with_site_packages()
    finder = install(bundle) if bundle is not None else None
    without_pydantic_plugins()
    hold_back()
    return finder


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build-bundle"] and len(sys.argv) == 3:
        prepare(None)  # the same start, with no bundle to read
        print(f"{build(sys.argv[2])} modules in {sys.argv[2]}")
    elif len(sys.argv) > 1:
        raise SystemExit("usage: python -P -S -m agents.boot [--build-bundle PATH]")
    else:
        prepare()
        from agents.startup import main  # after the bundle is installed, so it serves the start path

        main()
