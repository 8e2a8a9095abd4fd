"""Moves workspace files INSIDE a sandbox, as the sandbox user, without ever following a link.

The backend runs this file's text with `python3 -I -S -B -c` in the sandbox (uid 1000), so it is
self-contained and imports only the standard library. The engine's own archive calls resolve sandbox
paths as root, where a link planted by the sandbox reaches `/etc/shadow` or the read-only root;
here every path is walked from the workspace one component at a time with `O_NOFOLLOW`, so a link
(even one swapped in mid-walk) fails the walk instead of leading out of the workspace.

    put ROOT DEST            frames on stdin -> files and folders under ROOT/DEST
    cat ROOT PATH MAX        one regular file -> 8-byte size, then its bytes (refused above MAX)
    pack ROOT PATH MAX_BYTES MAX_ENTRIES   a file or a tree -> frames on stdout (links skipped)
    list ROOT PATH DEPTH     entries -> NUL-separated `kind size mtime relative-path` records

A frame is `FRAME` (kind `d`, `f` or `e` for the end, mode, size, mtime, name length), the
UTF-8 name, then `size` bytes for a file. Exit codes are in `EXIT_*`.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import sys

TYPE_CHECKING = False  # `typing` and `contextlib` cost ~5 ms of a ~20 ms start: only the checker imports
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

FRAME = struct.Struct(">cIQQH")
SIZE = struct.Struct(">Q")
EXIT_BAD_INPUT = 2
EXIT_MISSING = 44
EXIT_IN_THE_WAY = 45
EXIT_TOO_LARGE = 46
EXIT_NO_SPACE = 47
LIST_END = b"\0\0end\0"
"""Ends every listing: one that comes back without it was cut short, and is never an empty folder.
No run of records can end so (the only field that may be empty, a path, is followed by a kind, `d`
or `f`), so a listing cut after an entry named `...end` is not taken for a whole one."""
_MODE_MASK = 0o775  # no setuid, setgid, sticky or world-write
_CHUNK = 1 << 20
_RACED = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EEXIST, errno.EISDIR, errno.ENOTEMPTY, errno.EINVAL)
"""What a name the sandbox changed meanwhile fails with (gVisor answers EINVAL for a path that is gone)."""
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# No O_DIRECTORY for a folder inside the workspace: gVisor (runsc 2022-12) follows a link opened with
# O_DIRECTORY | O_NOFOLLOW, where Linux refuses it. Without it both refuse a link (ELOOP); `_dir_at`
# then checks the kind with fstat.
_NO_LINK = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class Refused(Exception):
    """Ends the helper with an exit code and a message for the host (never file contents)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _parts(relative: str) -> list[str]:
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if ".." in parts or "\x00" in relative:
        raise Refused(EXIT_BAD_INPUT, "unsafe path")
    return parts


def _dir_at(parent: int, name: str) -> int:
    """A descriptor of the folder `name` in `parent`, never through a link (see `_NO_LINK`)."""
    fd = os.open(name, _NO_LINK, dir_fd=parent)
    if not stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", name)
    return fd


def _open_dir(parent: int, name: str, create: bool) -> int:
    """Open (or make) the folder `name` in `parent` without following a link."""
    try:
        return _dir_at(parent, name)
    except FileNotFoundError:
        if not create:
            raise Refused(EXIT_MISSING, "no such file or folder") from None
    except (NotADirectoryError, OSError) as exc:
        raise Refused(EXIT_IN_THE_WAY, "a link or a file is in the way") from exc
    try:  # noqa: SIM105 (contextlib costs ~3 ms of start-up)
        os.mkdir(name, 0o775, dir_fd=parent)
    except FileExistsError:
        pass  # made meanwhile: the open below decides
    try:
        return _dir_at(parent, name)
    except OSError as exc:
        raise Refused(EXIT_IN_THE_WAY, "a link or a file is in the way") from exc


def _walk(root: int, parts: list[str], create: bool = False) -> int:
    """A new descriptor of the folder `root/parts...`, every component opened with `O_NOFOLLOW`."""
    fd = os.dup(root)
    for name in parts:
        try:
            child = _open_dir(fd, name, create)
        finally:
            os.close(fd)
        fd = child
    return fd


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise Refused(EXIT_BAD_INPUT, "the stream ended inside a frame")
    return data


def _put(root: int, dest: str, source: BinaryIO) -> None:
    base = _walk(root, _parts(dest), create=True)
    while True:
        kind, mode, size, mtime, name_len = FRAME.unpack(_read_exactly(source, FRAME.size))
        if kind == b"e":
            return
        parts = _parts(_read_exactly(source, name_len).decode("utf-8", "surrogateescape"))
        if not parts or kind not in (b"d", b"f"):
            raise Refused(EXIT_BAD_INPUT, "bad frame")
        if kind == b"d":
            os.close(_walk(base, parts, create=True))
            continue
        parent = _walk(base, parts[:-1], create=True)
        try:
            _put_file(parent, parts[-1], mode, size, mtime, source)
        finally:
            os.close(parent)


def _put_file(parent: int, name: str, mode: int, size: int, mtime: int, source: BinaryIO) -> None:
    """Write into a fresh temporary name, then rename over `name`: a link there is replaced, not followed."""
    temp = f".warren-upload-{os.urandom(6).hex()}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o600, dir_fd=parent)
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            left = size
            while left:
                chunk = _read_exactly(source, min(left, _CHUNK))
                out.write(chunk)
                left -= len(chunk)
        os.fchmod(fd, mode & _MODE_MASK)
        os.utime(fd, (mtime, mtime))
        try:
            os.rename(temp, name, src_dir_fd=parent, dst_dir_fd=parent)
        except OSError as exc:
            raise Refused(EXIT_IN_THE_WAY, "a folder is in the way of a file") from exc
    except BaseException:
        os.unlink(temp, dir_fd=parent)
        raise
    finally:
        os.close(fd)


def _open_file(root: int, relative: str) -> tuple[int, os.stat_result]:
    parts = _parts(relative)
    if not parts:
        raise Refused(EXIT_IN_THE_WAY, "not a regular file")
    parent = _walk(root, parts[:-1])
    try:
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=parent)
    except FileNotFoundError:
        raise Refused(EXIT_MISSING, "no such file or folder") from None
    except OSError as exc:  # ELOOP: the last component is a link
        raise Refused(EXIT_IN_THE_WAY, "not a regular file") from exc
    finally:
        os.close(parent)
    return fd, os.fstat(fd)


def _cat(root: int, relative: str, max_bytes: int, out: BinaryIO) -> None:
    fd, st = _open_file(root, relative)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(st.st_mode):
            raise Refused(EXIT_IN_THE_WAY, "not a regular file")
        if st.st_size > max_bytes:
            raise Refused(EXIT_TOO_LARGE, f"larger than {max_bytes} bytes")
        out.write(SIZE.pack(st.st_size))
        left = st.st_size
        while left:
            chunk = handle.read(min(left, _CHUNK))
            if not chunk:
                raise Refused(EXIT_BAD_INPUT, "the file shrank while it was read")
            out.write(chunk)
            left -= len(chunk)


def _entries(root: int, relative: str, depth: int) -> Iterator[tuple[str, os.stat_result, int | None]]:
    """`(path relative to the start, stat, open fd for regular files)` under `relative`; links skipped."""
    parts = _parts(relative)
    parent = _walk(root, parts[:-1])
    try:
        st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False) if parts else os.fstat(parent)
    except FileNotFoundError:
        os.close(parent)
        raise Refused(EXIT_MISSING, "no such file or folder") from None
    os.close(parent)
    if stat.S_ISREG(st.st_mode):
        fd, st = _open_file(root, relative)
        yield "", st, fd
        return
    if not stat.S_ISDIR(st.st_mode):
        raise Refused(EXIT_IN_THE_WAY, "not a file or a folder")
    top = _walk(root, parts)
    try:
        yield "", os.fstat(top), None
        for folder, dirs, files, dir_fd in os.fwalk(".", dir_fd=top, follow_symlinks=False):
            level = 0 if folder == "." else folder.count("/")
            prefix = "" if folder == "." else folder[2:] + "/"
            names = sorted(dirs + files)
            if level + 1 >= depth:
                dirs.clear()
            for name in names:
                entry = _entry(dir_fd, name)
                if entry is not None:
                    yield prefix + name, entry[0], entry[1]
    finally:
        os.close(top)


def _entry(dir_fd: int, name: str) -> tuple[os.stat_result, int | None] | None:
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if stat.S_ISDIR(st.st_mode):
        return st, None
    if not stat.S_ISREG(st.st_mode):
        return None  # links, sockets, devices and FIFOs are never offered
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None  # swapped for a link, or gone
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return st, fd


def _list(root: int, relative: str, depth: int, out: BinaryIO) -> None:
    for path, st, fd in _entries(root, relative, depth):
        if fd is not None:
            os.close(fd)
        if not path and stat.S_ISDIR(st.st_mode):
            continue  # a folder lists its contents, a file itself
        kind = "d" if stat.S_ISDIR(st.st_mode) else "f"
        record = f"{kind}\0{st.st_size}\0{st.st_mtime}\0{path}\0"
        out.write(record.encode("utf-8", "surrogateescape"))
    out.write(LIST_END)


def _pack(root: int, relative: str, max_bytes: int, max_entries: int, out: BinaryIO) -> None:
    top = relative.rstrip("/").rsplit("/", 1)[-1] or "workspace"
    total = 0
    for count, (path, st, fd) in enumerate(_entries(root, relative, depth=64), start=1):
        name = f"{top}/{path}" if path else top
        size = st.st_size if fd is not None else 0
        total += size
        if count > max_entries or total > max_bytes:
            if fd is not None:
                os.close(fd)
            raise Refused(EXIT_TOO_LARGE, "more than the archive caps")
        encoded = name.encode("utf-8", "surrogateescape")
        kind = b"f" if fd is not None else b"d"
        out.write(FRAME.pack(kind, st.st_mode & 0o7777, size, int(st.st_mtime), len(encoded)) + encoded)
        if fd is not None:
            with os.fdopen(fd, "rb") as handle:
                left = size
                while left:
                    chunk = handle.read(min(left, _CHUNK)) or b"\0" * min(left, _CHUNK)  # shrank: pad
                    out.write(chunk)
                    left -= len(chunk)
    out.write(FRAME.pack(b"e", 0, 0, 0, 0))


def main(argv: list[str]) -> int:
    """Run one mode; the exit code tells the host what happened."""
    os.umask(0o022)
    mode, root_path, path, *rest = argv
    root = os.open(root_path, _DIR)
    out = sys.stdout.buffer
    try:
        if mode == "put":
            _put(root, path, sys.stdin.buffer)
        elif mode == "cat":
            _cat(root, path, int(rest[0]), out)
        elif mode == "pack":
            _pack(root, path, int(rest[0]), int(rest[1]), out)
        elif mode == "list":
            _list(root, path, int(rest[0]), out)
        else:
            raise Refused(EXIT_BAD_INPUT, "unknown mode")
        out.flush()
    except Refused as exc:
        sys.stderr.write(f"{exc}\n")
        return exc.code
    except OSError as exc:
        sys.stderr.write(f"{os.strerror(exc.errno or 0)}\n")
        if exc.errno in _RACED:
            return EXIT_IN_THE_WAY  # the sandbox moved things while the helper worked
        return EXIT_NO_SPACE if exc.errno in (errno.ENOSPC, errno.EDQUOT) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
