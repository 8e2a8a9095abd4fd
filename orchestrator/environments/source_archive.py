"""The tar that seeds a new sandbox's `/workspace` from its environment's file sources.

Inline files, the cached clones and the host folders (read again now, links and special files
dropped), bounded by the tar limits; built in a worker thread by `Sources.archive`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from orchestrator.environments.source_checks import default_target, inline_bytes, relative_target
from orchestrator.environments.source_policy import SourceError, SourcePolicy
from orchestrator.environments.tree import TarBuilder, TreeTooLargeError
from orchestrator.sandbox.tarsafe import TarLimits

__all__ = ["workspace_archive"]

_log = logging.getLogger("orchestrator.environments.sources")


def workspace_archive(
    policy: SourcePolicy, clone_of: Callable[[int], Path], env_id: str, sources: Sequence[Mapping[str, Any]]
) -> bytes | None:
    """One checked tar of every file source, relative to `/workspace`; None when there is none.

    Raises:
        SourceError: a folder left its root or vanished, or a clone is missing from the cache.
    """
    builder = TarBuilder(TarLimits())
    for index, source in enumerate(sources):
        kind = source.get("type")
        target = relative_target(source.get("target") or "")
        try:
            if kind == "inline":
                builder.add_file(target, inline_bytes(index, source))
            elif kind == "repository":
                clone_dir = clone_of(index)
                if not clone_dir.is_dir():
                    raise SourceError(
                        "this repository's clone is missing on the server; create the environment again",
                        field=f"sources[{index}].source",
                    )
                builder.add_tree(clone_dir, target if source.get("target") else default_target(source))
            elif kind == "folder":
                real = policy.folder_path(index, str(source["source"]))
                builder.add_tree(real, target if source.get("target") else PurePosixPath(real.name))
        except TreeTooLargeError as exc:
            raise SourceError(f"the workspace sources hold {exc}", field=f"sources[{index}]") from exc
    if builder.dropped:
        _log.warning("environment %s: links and special files not copied: %s", env_id, builder.dropped[:20])
    return None if builder.empty else builder.finish()
