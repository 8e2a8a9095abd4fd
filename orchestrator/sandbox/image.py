"""Build the sandbox image from Debian packages alone, under the tags `image_tags` computes.

No registry is reachable, so the base is a debootstrapped rootfs (`sandbox_image/base.sh`) and the
image is built on top of it from `sandbox_image/Dockerfile`. An unchanged tree never rebuilds; a
changed `agents/` rebuilds only the layers that copy it (the engine's layer cache does the rest).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from orchestrator.sandbox.backend import SandboxError
from orchestrator.sandbox.image_tags import IMAGE_REPO, SKIPPED_PARTS, ImageRef, image_ref, source_root

__all__ = ["ImageBuildError", "build_image", "image_exists"]

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

Progress = Callable[[str], None]


class ImageBuildError(SandboxError):
    """The image build failed; the message names the step and the output that explains it."""


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
    for name in ("Dockerfile", "requirements.txt", "gvisor_statx.c"):
        shutil.copy2(image_dir / name, into / name)
    shutil.copy2(HOST_CA_BUNDLE, into / "host-ca.crt")
    ignore = shutil.ignore_patterns(*SKIPPED_PARTS)
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
