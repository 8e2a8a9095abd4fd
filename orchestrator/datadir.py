"""The data folder is private to the server's user: 0700, and the SQLite files in it 0600.

It holds the database (API key hashes, credential secrets, conversations), the sealing key, the
runner sockets and uploads. A folder created with the default umask (0755) and a database file
SQLite created as 0644 let every local user read all of that. SQLite creates its `-wal` and
`-shm` files with the mode of the database file, so creating that file 0600 first covers them; an
installation from before this gets its existing files tightened at start-up.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["private_folder", "private_sqlite_files", "sqlite_path"]

_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_folder(path: Path) -> None:
    """Create `path` (and its parents) if missing, and make it 0700 (only its owner may enter)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another database or an in-memory one."""
    from sqlalchemy.engine import make_url  # SQLAlchemy: ~0.1 s of every CLI command's start otherwise

    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None  # a URI filename: SQLite's own syntax, left alone
    return Path(database).expanduser()


def private_sqlite_files(url: str) -> None:
    """For a SQLite file URL: create the database file 0600 if missing, and make its files 0600.

    Creating the file before SQLite does sets the mode SQLite then gives its WAL and shared-memory
    files. Other URLs are left alone.
    """
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in _SQLITE_SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(candidate, 0o600)
