"""Which image tags a source tree maps to: a hash of every input, computed without the engine.

The base tag hashes `sandbox_image/base.sh` alone; the sandbox tag hashes the base tag and every
file under `sandbox_image/`, `agents/` and `skills/` (caches skipped). An unchanged tree maps to
the same tags, so a server, `warren image` and the tests agree on what to build or reuse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.sandbox.backend import SandboxError

__all__ = ["BASE_REPO", "IMAGE_REPO", "SKIPPED_PARTS", "ImageRef", "image_ref", "source_root"]

IMAGE_REPO = "warren-sandbox"
BASE_REPO = "warren-base"
SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
"""Folders never hashed nor copied into the build context."""


@dataclass(frozen=True)
class ImageRef:
    """The tags the current source tree maps to."""

    base: str
    """Tag of the debootstrapped base image (hash of the base recipe)."""
    sandbox: str
    """Tag of the sandbox image (hash of every input, base included)."""


def source_root() -> Path:
    """The repository root holding `sandbox_image/`, `agents/` and `skills/`."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "sandbox_image" / "Dockerfile").is_file():
        raise SandboxError(f"sandbox_image/Dockerfile not found under {root}: run from a source checkout")
    return root


def _files(root: Path, relative_dirs: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for name in relative_dirs:
        top = root / name
        candidates = [top] if top.is_file() else sorted(top.rglob("*"))
        found += [p for p in candidates if p.is_file() and not SKIPPED_PARTS.intersection(p.parts)]
    return found


def _digest(root: Path, files: Iterable[Path]) -> str:
    sha = hashlib.sha256()
    for path in files:
        sha.update(str(path.relative_to(root)).encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()[:16]


def image_ref(root: Path | None = None) -> ImageRef:
    """Compute the tags for the tree at `root` without touching the engine."""
    root = root or source_root()
    base = f"{BASE_REPO}:{_digest(root, _files(root, ['sandbox_image/base.sh']))}"
    inputs = _files(root, ["sandbox_image", "agents", "skills"])
    sha = hashlib.sha256(base.encode())
    sha.update(_digest(root, inputs).encode())
    return ImageRef(base=base, sandbox=f"{IMAGE_REPO}:{sha.hexdigest()[:16]}")
