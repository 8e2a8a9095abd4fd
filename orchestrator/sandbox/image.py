"""Build the sandbox image from Debian packages alone, tagged by a hash of its inputs.

No registry is reachable, so the base is a debootstrapped rootfs (`sandbox_image/base.sh`) and the
image is built on top of it from `sandbox_image/Dockerfile`. An unchanged tree never rebuilds; a
changed `agents/` rebuilds only the layers that copy it (the engine's layer cache does the rest).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from orchestrator.sandbox.backend import SandboxError

__all__ = ["ImageBuildError", "ImageRef", "build_image", "image_exists", "image_ref", "source_root"]

IMAGE_REPO = "warren-sandbox"
BASE_REPO = "warren-base"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
_SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}

Progress = Callable[[str], None]


class ImageBuildError(SandboxError):
    """The image build failed; the message names the step and the output that explains it."""


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
        found += [p for p in candidates if p.is_file() and not _SKIPPED_PARTS.intersection(p.parts)]
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


def image_exists(client: docker.DockerClient, tag: str) -> bool:
    """Whether the engine already holds `tag`."""
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def _build_base(root: Path, tag: str, progress: Progress) -> None:
    progress(f"building base image {tag} with debootstrap (about a minute)")
    done = subprocess.run(
        ["bash", str(root / "sandbox_image" / "base.sh"), tag], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise ImageBuildError(f"base image step (debootstrap + docker import) failed:\n{tail}")


def _context(root: Path, into: Path) -> None:
    image_dir = root / "sandbox_image"
    for name in ("Dockerfile", "requirements.txt"):
        shutil.copy2(image_dir / name, into / name)
    shutil.copy2(HOST_CA_BUNDLE, into / "host-ca.crt")
    ignore = shutil.ignore_patterns(*_SKIPPED_PARTS)
    shutil.copytree(root / "agents", into / "agents", ignore=ignore)
    shutil.copytree(root / "skills", into / "skills", ignore=ignore)


def _build_sandbox(client: docker.DockerClient, root: Path, ref: ImageRef, progress: Progress) -> None:
    step, tail = "preparing the build", list[str]()
    with tempfile.TemporaryDirectory(prefix="warren-image-") as ctx:
        _context(root, Path(ctx))
        events = client.api.build(
            path=ctx, tag=ref.sandbox, buildargs={"BASE_IMAGE": ref.base}, rm=True, forcerm=True, decode=True
        )
        for event in events:
            if "error" in event:
                detail = "\n".join(tail[-20:])
                raise ImageBuildError(f"image build failed at {step}: {event['error'].strip()}\n{detail}")
            line = str(event.get("stream", "")).rstrip()
            if not line:
                continue
            tail.append(line)
            if line.startswith("Step "):
                step = line
                progress(line)
    client.images.get(ref.sandbox).tag(IMAGE_REPO, "latest")


def build_image(
    client: docker.DockerClient | None = None,
    root: Path | None = None,
    progress: Progress = lambda _line: None,
    force: bool = False,
) -> ImageRef:
    """Make sure the sandbox image for the current tree exists, building what is missing.

    Args:
        client: SDK client; one is made from the environment by default.
        root: source tree; the checkout this module lives in by default.
        progress: called with one human-readable line per build step.
        force: rebuild the sandbox image even when its tag exists (the base is still reused).

    Raises:
        ImageBuildError: naming the failed step and the tail of its output.
    """
    client = client or docker.from_env(version="auto")
    root = root or source_root()
    ref = image_ref(root)
    if not image_exists(client, ref.base):
        _build_base(root, ref.base, progress)
    if force or not image_exists(client, ref.sandbox):
        progress(f"building sandbox image {ref.sandbox}")
        _build_sandbox(client, root, ref, progress)
    else:
        progress(f"sandbox image {ref.sandbox} is up to date")
    return ref
