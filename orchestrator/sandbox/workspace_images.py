"""Bounded workspaces on the host: sparse ext4 images attached to loop devices (blocking calls).

Disk (SECURITY-CHECKLIST "Disk fill"): on overlay2/ext4 `storage_opt` quotas do not apply, so each
workspace is its own filesystem: a sparse ext4 image of `workspace_bytes`, attached to a loop device,
that a Docker `local` volume mounts at `/workspace`. Writing past the size fails with ENOSPC inside
the sandbox and never touches the host's free space beyond the image. Without root (no `losetup`),
or with `workspace_bytes=0`, workspaces are plain unbounded volumes (logged once). Every function
here touches the host's files or runs a program: callers run them in worker threads.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from orchestrator.sandbox.backend import SandboxError
from orchestrator.sandbox.docker_labels import IMAGE_LABEL
from orchestrator.sandbox.hardening import SANDBOX_GID, SANDBOX_UID

__all__ = [
    "IMAGE_SUFFIX",
    "backing_file",
    "bounded_possible",
    "image_of",
    "make_image",
    "reattach",
    "release_image",
    "settled_images",
]

log = logging.getLogger(__name__)

IMAGE_SUFFIX = ".img"
_FORMAT = "v1"
"""Names the template's mkfs options: change it with them, so no workspace copies an old template."""
_UNBOUNDED_WARNED: list[bool] = []
"""Non-empty once the "workspaces are not bounded" warning was logged (once per process)."""


def bounded_possible() -> bool:
    """Whether this host can bound workspaces: root, `losetup`, `mkfs.ext4` and a local engine."""
    local = os.environ.get("DOCKER_HOST", "unix://").startswith("unix://")
    if local and os.geteuid() == 0 and shutil.which("losetup") and shutil.which("mkfs.ext4"):
        return True
    if not _UNBOUNDED_WARNED:
        _UNBOUNDED_WARNED.append(True)
        log.warning(
            "workspaces are NOT size-bounded: a bounded workspace needs root, losetup and mkfs.ext4 "
            "and a local engine (set WARREN_WORKSPACE_BYTES=0 to silence this)"
        )
    return False


def image_of(attrs: dict[str, Any]) -> str | None:
    """The ext4 image behind a volume (from `volumes.get(...).attrs`), or None for a plain volume."""
    labels: dict[str, str] = attrs.get("Labels") or {}
    return labels.get(IMAGE_LABEL)


def make_image(image: Path, size: int) -> str:
    """A sparse ext4 image of `size` bytes at `image`, root owned by the sandbox user; its loop device.

    A copy of the folder's formatted template of that size (made once, `_template`): copying its
    ~1 MB of data costs under a millisecond, where `mkfs.ext4` + `debugfs` cost every cold start
    40-100 ms on its path.
    """
    image.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    image.open("xb").close()  # before the try: a file already there is not ours to remove
    try:
        _copy_sparse(_template(image.parent, size), image)
        attach = ["losetup", "--find", "--show", str(image)]
        done = subprocess.run(attach, capture_output=True, text=True, check=True, timeout=60)
    except (subprocess.SubprocessError, OSError) as exc:
        image.unlink(missing_ok=True)
        detail = getattr(exc, "stderr", None) or exc
        raise SandboxError(f"could not make the workspace filesystem: {detail}") from exc
    return done.stdout.strip()


def _template(folder: Path, size: int) -> Path:
    """The formatted, empty ext4 image of `size` bytes every new workspace copies: made here once
    per folder, size and format (`_FORMAT` names it), renamed into place whole so a reader never
    sees half of one."""
    template = folder / f"template-{_FORMAT}-{size}.ext4"
    if template.is_file():
        return template
    partial = folder / f".{template.name}.{os.getpid()}.{time.monotonic_ns()}"
    try:
        with partial.open("xb") as file:
            file.truncate(size)
        # -m 0: no blocks reserved for root (the sandbox user gets them all)
        owner = f"root_owner={SANDBOX_UID}:{SANDBOX_GID}"
        mkfs = ["mkfs.ext4", "-q", "-F", "-m", "0", "-E", owner, str(partial)]
        empty = ["debugfs", "-w", "-R", "rmdir lost+found", str(partial)]  # empty, like a plain volume
        for cmd in (mkfs, empty):
            subprocess.run(cmd, capture_output=True, check=True, timeout=60)
        os.replace(partial, template)
    finally:
        partial.unlink(missing_ok=True)
    return template


def _copy_sparse(source: Path, target: Path) -> None:
    """Copy `source` into the empty file `target`, only its data extents (holes stay holes)."""
    with source.open("rb") as src, target.open("r+b") as dst:
        size, offset = os.fstat(src.fileno()).st_size, 0
        while offset < size:
            try:
                start = os.lseek(src.fileno(), offset, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # no data after `offset`
                    break
                raise
            offset = os.lseek(src.fileno(), start, os.SEEK_HOLE)
            while start < offset:
                copied = os.copy_file_range(src.fileno(), dst.fileno(), offset - start, start, start)
                if copied <= 0:
                    raise OSError(errno.EIO, f"copying {source} stopped at byte {start}")
                start += copied
        dst.truncate(size)


def backing_file(device: str) -> str | None:
    """The file a loop device is attached to, or None when it is free."""
    try:
        return Path(f"/sys/block/{Path(device).name}/loop/backing_file").read_text().strip()
    except OSError:
        return None


def reattach(device: str, image: str) -> bool:
    """Attach `image` to `device` again unless it already is; whether anything changed."""
    if backing_file(device) == image:
        return False
    done = subprocess.run(["losetup", device, image], capture_output=True, check=False)
    return done.returncode == 0


def release_image(image: str | None) -> None:
    """Detach every loop device attached to `image` and delete it; nothing happens for None."""
    if not image:
        return
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        with contextlib.suppress(OSError):
            if backing.read_text().strip() in (image, f"{image} (deleted)"):
                device = f"/dev/{backing.parent.parent.name}"
                subprocess.run(["losetup", "-d", device], capture_output=True, check=False, timeout=60)
    with contextlib.suppress(OSError):
        os.unlink(image)


def settled_images(folder: Path, older_than_s: float) -> list[Path]:
    """Workspace images in `folder` last written more than `older_than_s` **seconds** ago."""
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than_s
    settled: list[Path] = []
    for image in folder.glob(f"warren-ws-*{IMAGE_SUFFIX}"):
        with contextlib.suppress(OSError):
            if image.stat().st_mtime <= cutoff:
                settled.append(image)
    return settled
