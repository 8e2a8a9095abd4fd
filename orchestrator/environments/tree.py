"""Build the one tar that seeds a workspace: inline files and host folders, owned by the sandbox user.

Host folders are walked with `os.fwalk` and every file is opened relative to its folder with
`O_NOFOLLOW`, so a link swapped in during the walk is never followed. Links, devices and other
special files are dropped (and listed in `dropped`); only regular files and folders cross.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import time
from pathlib import Path, PurePosixPath

from orchestrator.errors import WarrenError
from orchestrator.sandbox.hardening import SANDBOX_GID, SANDBOX_UID
from orchestrator.sandbox.tarsafe import TarLimits, check_tar

__all__ = ["TarBuilder", "TreeTooLargeError", "check_tree_size"]


class TreeTooLargeError(WarrenError, ValueError):
    """A folder holds more bytes or entries than a source may bring."""


def check_tree_size(root: Path, max_bytes: int, max_files: int) -> None:
    """Refuse a host folder with more than `max_bytes` bytes or `max_files` entries (links not followed).

    Raises:
        TreeTooLargeError: with which cap was passed.
    """
    total = count = 0
    for folder, dirs, files in os.walk(root):
        for name in files + dirs:
            count += 1
            total += os.lstat(os.path.join(folder, name)).st_size
        if count > max_files:
            raise TreeTooLargeError(f"more than {max_files} files and folders")
        if total > max_bytes:
            raise TreeTooLargeError(f"more than {max_bytes} bytes")


class TarBuilder:
    """Accumulates files under `/workspace`-relative paths and returns a checked, uncompressed tar.

    Args:
        limits: the caps of the whole archive (bytes and members).
    """

    def __init__(self, limits: TarLimits | None = None) -> None:
        self.limits = limits or TarLimits()
        self.dropped: list[str] = []
        """Paths that were not copied (links, devices), relative to the workspace."""
        self._buffer = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buffer, mode="w:")  # noqa: SIM115 (closed in `finish`)
        self._dirs: set[str] = set()
        self._members = 0
        self._bytes = 0

    def _count(self, size: int) -> None:
        self._members += 1
        self._bytes += size
        if self._members > self.limits.max_members:
            raise TreeTooLargeError(f"more than {self.limits.max_members} files and folders")
        if self._bytes > self.limits.max_total_bytes:
            raise TreeTooLargeError(f"more than {self.limits.max_total_bytes} bytes")

    def add_dir(self, path: PurePosixPath, mtime: float | None = None) -> None:
        """Add a folder (and its parents), owned by the sandbox user."""
        for folder in [*reversed(path.parents), path]:
            name = str(folder)
            if name in (".", "") or name in self._dirs:
                continue
            self._count(0)
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            info.uid, info.gid = SANDBOX_UID, SANDBOX_GID
            info.mtime = int(mtime if mtime is not None else time.time())
            self._tar.addfile(info)
            self._dirs.add(name)

    def add_file(
        self, path: PurePosixPath, data: bytes, executable: bool = False, mtime: float | None = None
    ) -> None:
        """Add a regular file (its parents too), owned by the sandbox user."""
        self.add_dir(path.parent)
        self._count(len(data))
        info = tarfile.TarInfo(str(path))
        info.size = len(data)
        info.mode = 0o755 if executable else 0o644
        info.uid, info.gid = SANDBOX_UID, SANDBOX_GID
        info.mtime = int(mtime if mtime is not None else time.time())
        self._tar.addfile(info, io.BytesIO(data))

    def add_tree(self, root: Path, prefix: PurePosixPath) -> None:
        """Add the regular files and folders under the host folder `root` at `prefix`; links are dropped."""
        self.add_dir(prefix)
        for folder, dirs, files, dir_fd in os.fwalk(root, follow_symlinks=False):
            relative = PurePosixPath(Path(folder).relative_to(root).as_posix())
            for name in sorted(dirs):
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    self.add_dir(prefix / relative / name, st.st_mtime)
                else:
                    self.dropped.append(str(prefix / relative / name))
                    dirs.remove(name)  # a link to a folder: never descend
            for name in sorted(files):
                self._add_host_file(dir_fd, name, prefix / relative / name)

    def _add_host_file(self, dir_fd: int, name: str, path: PurePosixPath) -> None:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError:  # ELOOP for a link; a file that vanished
            self.dropped.append(str(path))
            return
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                self.dropped.append(str(path))
                return
            if self._bytes + st.st_size > self.limits.max_total_bytes:
                raise TreeTooLargeError(f"more than {self.limits.max_total_bytes} bytes")
            data = handle.read(st.st_size + 1)[: st.st_size]
        self.add_file(path, data, executable=bool(st.st_mode & 0o111), mtime=st.st_mtime)

    @property
    def empty(self) -> bool:
        """True when nothing was added."""
        return self._members == 0

    def finish(self) -> bytes:
        """Close the archive and return it, checked like every tar that enters a sandbox."""
        self._tar.close()
        data = self._buffer.getvalue()
        check_tar(data, self.limits)
        return data
