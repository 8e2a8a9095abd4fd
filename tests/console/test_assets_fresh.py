"""The console's built files are committed in the package (so `pip install` serves the console with
no Node); this test rebuilds them from console/ with the pinned toolchain and fails when the
committed copy is stale. Fix: `make console` (scripts/build-console.sh), then commit both."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from orchestrator.api.routes.console import ASSETS

REPO = Path(__file__).resolve().parents[2]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed (make test-deps installs it)")
@pytest.mark.timeout(600)
def test_the_committed_console_build_matches_its_sources(tmp_path: Path) -> None:
    out = tmp_path / "console_assets"
    subprocess.run([str(REPO / "scripts" / "build-console.sh"), str(out)], check=True, timeout=590)
    built, committed = _files(out), _files(ASSETS)
    assert sorted(built) == sorted(committed), "run `make console` and commit orchestrator/api/console_assets"
    stale = [name for name in built if built[name] != committed[name]]
    assert stale == [], f"stale built files {stale}: run `make console` and commit them"


def test_the_wheel_ships_the_console() -> None:
    """setuptools' package-data names the built files, so a wheel (and `pip install .`) carries them."""
    from setuptools.config.pyprojecttoml import read_configuration

    data = read_configuration(REPO / "pyproject.toml")["tool"]["setuptools"]["package-data"]["orchestrator"]
    assert "api/console_assets/*.html" in data and "api/console_assets/assets/*" in data
    assert (ASSETS / "index.html").is_file()
