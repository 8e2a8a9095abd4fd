"""Server settings: flags, then `WARREN_*` environment variables, then defaults."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Settings"]


def _data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "warren"


class Settings(BaseModel):
    """Everything `warren serve` can be told; every field has a `WARREN_<NAME>` variable."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(default_factory=_data_dir)
    """Where the SQLite file, runner sockets and upload spool live."""
    database_url: str | None = None
    """SQLAlchemy URL; default a SQLite file in `data_dir`. PostgreSQL: `postgresql+asyncpg://...`."""
    dev: bool = False
    """Local single-user mode: create an API key at start-up and print it."""
    max_running: int = Field(64, ge=1)
    """Most interactions running at once."""
    max_running_per_tenant: int = Field(16, ge=1)
    """Most interactions of one tenant running at once."""
    sandboxes: bool = True
    """Run agent interactions and files in sandboxes (needs a Docker engine)."""
    sandbox_image: str | None = None
    """Sandbox image tag; default: build or find the image for this source tree."""
    retention_days: float = Field(55.0, gt=0)
    """Stored interactions older than this are deleted with their steps."""
    max_body_bytes: int = Field(32 << 20, ge=1024)
    """Largest request body accepted (uploads included); larger gets 413."""

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from `WARREN_*` variables, with explicit `overrides` (flags) taking precedence."""
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = os.environ.get(f"WARREN_{name.upper()}")
            if raw is not None:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)
