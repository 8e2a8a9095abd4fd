"""The runner's entry in the sandbox (`python -P -m agents.boot`): serve the start path's modules
from the image's bundle (`agents.bundle`), then start the runner (`agents.startup`).

The image build runs `python -P -m agents.boot --build-bundle PATH`, which prepares the process the
same way and writes the bundle instead of starting: the bundle holds what this start imports.
Outside an image built with the bundle, nothing is served from it and the runner starts as before.
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["without_pydantic_plugins"]

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


if __name__ == "__main__":
    from agents import bundle

    if sys.argv[1:2] == ["--build-bundle"] and len(sys.argv) == 3:
        without_pydantic_plugins()
        print(f"{bundle.build(sys.argv[2])} modules in {sys.argv[2]}")
    elif len(sys.argv) > 1:
        raise SystemExit("usage: python -P -m agents.boot [--build-bundle PATH]")
    else:
        bundle.install()
        without_pydantic_plugins()
        from agents.startup import main  # after the bundle is installed, so it serves the start path

        main()
