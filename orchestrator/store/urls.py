"""Which database: the URL from `WARREN_DATABASE_URL` or the default SQLite file, with its async driver.

Kept apart from the engine so the CLI, the benchmarks and the settings can name a database without
opening one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["default_database_url", "normalise_url", "without_password"]


def default_database_url(environ: Mapping[str, str] | None = None) -> str:
    """`WARREN_DATABASE_URL` when set, else a SQLite file under the user's data directory.

    The data directory is `WARREN_DATA_DIR`, else `$XDG_DATA_HOME/warren`, else
    `~/.local/share/warren`; the file is `warren.db` in it.
    """
    env = os.environ if environ is None else environ
    if url := env.get("WARREN_DATABASE_URL"):
        return url
    if data_dir := env.get("WARREN_DATA_DIR"):
        base = Path(data_dir)
    else:
        xdg = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = Path(xdg) / "warren"
    return f"sqlite+aiosqlite:///{base / 'warren.db'}"


def normalise_url(url: str) -> str:
    """Pick the async driver for plain `sqlite://` and `postgresql://` URLs; leave others alone."""
    parsed = make_url(url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
    }
    if parsed.drivername in driver:
        parsed = parsed.set(drivername=driver[parsed.drivername])
    return parsed.render_as_string(hide_password=False)


def without_password(url: str) -> str:
    """The database URL with its password masked: safe to log, label or hash."""
    return make_url(url).render_as_string(hide_password=True)
