"""What an environment's data sources may reach on this server, and the error every refusal raises.

Host folders (`folder` sources, `file://` repositories) only under `WARREN_SOURCE_ROOTS`, links
resolved first; clones bounded in bytes, files, time and per-tenant concurrency.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orchestrator.config import Settings
from orchestrator.errors import InvalidArgument

__all__ = ["SOURCE_TYPES", "SourceError", "SourcePolicy"]

SOURCE_TYPES = ("inline", "repository", "folder", "skill_registry", "skill")
"""The source types this server materialises (`gcs` is on the wire but not supported)."""


class SourceError(InvalidArgument):
    """A data source is refused (400); `field` names it, e.g. `sources[2].target`."""


@dataclass(frozen=True)
class SourcePolicy:
    """What sources may reach on this server."""

    roots: tuple[Path, ...] = ()
    """Host folders `folder` sources and `file://` repositories may read; empty refuses both."""
    cache_dir: Path | None = None
    """Where repository clones are kept until the environment is deleted; None: a temp folder."""
    max_bytes: int = 256 << 20
    """Most bytes one repository or folder may bring."""
    max_files: int = 10_000
    """Most files and folders one repository or folder may bring."""
    clone_timeout_s: float = 120.0
    """Deadline of one clone, in seconds."""
    allow_private_hosts: bool = False
    """Clone from hosts that resolve to loopback or private addresses (an internal git server), and
    over plain `http://` from those hosts only."""
    max_clones_per_tenant: int = 2
    """Most environments of one tenant cloning repositories at once; one more is refused (429)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SourcePolicy:
        """The policy `settings` describe; clones live in `data_dir/sources`."""
        return cls(
            roots=tuple(settings.source_roots),
            cache_dir=settings.data_dir / "sources",
            max_bytes=settings.max_source_bytes,
            clone_timeout_s=settings.clone_timeout_s,
            allow_private_hosts=settings.allow_private_repository_hosts,
            max_clones_per_tenant=settings.max_clones_per_tenant,
        )

    def under_root(self, path: Path) -> Path | None:
        """The real path of `path` when it resolves (links followed) inside an allowed root."""
        real = Path(os.path.realpath(path))
        for root in self.roots:
            if real.is_relative_to(os.path.realpath(root)):
                return real
        return None

    def folder_path(self, index: int, source: str) -> Path:
        """The real host path of a folder source, inside an allowed root.

        Raises:
            SourceError: not absolute, outside every root (links resolved first), or not a folder.
        """
        field = f"sources[{index}].source"
        if not source.startswith("/") or "\x00" in source:
            raise SourceError("a folder source must be an absolute host path", field=field)
        if not self.roots:
            raise SourceError("folder sources are disabled on this server (no source roots)", field=field)
        real = self.under_root(Path(source))
        if real is None:
            raise SourceError(f"folder {source!r} is not under an allowed source root", field=field)
        if not real.is_dir():
            raise SourceError(f"folder {source!r} does not exist or is not a folder", field=field)
        return real
