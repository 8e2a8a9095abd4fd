"""An environment's data sources: checked and fetched at create time, copied into `/workspace` at provision.

- `inline`: `content` (text, or `encoding: base64`) written to `target`, a file path (required).
- `repository`: `source` is `https://host/path`, `host/path` or `file:///path`, with an optional
  `#branch-or-tag`; cloned now by the orchestrator (shallow, no hooks, no submodules, no links);
  `target` is a folder, by default the repository's name.
- `folder` (extension): `source` is an absolute host folder under `WARREN_SOURCE_ROOTS`, read at
  each provision with links dropped; `target` defaults to the folder's name.
- `skill_registry`: `source` names a bundled skill to show in `/skills`; no `target`.
- `skill` (extension): `source` is the skill's name and `files` its folder (`SKILL.md` required,
  `encoding` applies to every file); kept on disk and mounted read-only at `/skills/<name>`.

Every refusal is a `SourceError` naming `sources[i].<field>`. `file://` repositories count as host
folders: their path must be under an allowed root too (and hold no `%` escapes), so tests and local
mirrors use it while a server without roots refuses it; git gets the checked real path, not the URL.
Other hosts must be `https://` and resolve to public addresses; `allow_private_repository_hosts`
allows internal hosts, and plain `http://` to them. A tenant runs at most `max_clones_per_tenant`
clones at once (`clone_slots`): one more environment with a repository gets 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from orchestrator.config import Settings
from orchestrator.environments.clone_slots import CloneSlots
from orchestrator.environments.git import (
    CloneError,
    CloneTarget,
    RepositoryUrl,
    clone,
    local_target,
    parse_repository,
    remote_target,
)
from orchestrator.environments.source_archive import workspace_archive
from orchestrator.environments.source_checks import check_sources
from orchestrator.environments.source_policy import SourceError, SourcePolicy
from orchestrator.environments.tree import TreeTooLargeError, check_tree_size
from orchestrator.skills import SkillSet, SkillStore, path_component

__all__ = ["Sources"]


class Sources:
    """Checks, fetches, materialises and releases the sources of environments.

    Args:
        policy: what sources may reach.
        skills: where uploaded skills are kept, and the bundled ones.
    """

    def __init__(self, policy: SourcePolicy, skills: SkillStore) -> None:
        self.policy = policy
        self.skills = skills
        self._clones = CloneSlots(policy.max_clones_per_tenant)

    @classmethod
    def from_settings(cls, settings: Settings) -> Sources:
        """Sources configured by `settings`."""
        return cls(SourcePolicy.from_settings(settings), SkillStore.from_settings(settings))

    # ---- create time ---------------------------------------------------------------------------

    def check(self, sources: Sequence[Mapping[str, Any]]) -> None:
        """Refuse bad sources without fetching anything (`source_checks.check_sources`)."""
        check_sources(self.policy, self.skills, sources)

    async def prepare(
        self, tenant: str, env_id: str, sources: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Check the sources, clone repositories and store uploaded skills; returns the sources to store.

        Stored skill sources lose their `files` (they are on disk). On any error nothing is left behind.

        Raises:
            SourceError: a bad source or a failed clone, naming `sources[i].<field>`.
            QuotaExceeded: the tenant already runs `max_clones_per_tenant` clones (429).
        """
        self.check(sources)
        clones = any(source["type"] == "repository" for source in sources)
        try:
            with self._clones.hold(tenant) if clones else contextlib.nullcontext():
                stored = await self._fetch(tenant, env_id, sources)
        except BaseException:
            await self.release(tenant, env_id)
            raise
        return stored

    async def _fetch(
        self, tenant: str, env_id: str, sources: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Clone, measure and store each checked source in turn; returns the sources to store."""
        stored: list[dict[str, Any]] = []
        for index, source in enumerate(sources):
            kept = dict(source)
            kind = source["type"]
            if kind == "repository":
                await self._clone(tenant, env_id, index, str(source["source"]))
            elif kind == "folder":
                await self._measure_folder(index, str(source["source"]))
            elif kind == "skill":
                await asyncio.to_thread(
                    self.skills.save,
                    tenant,
                    "environments",
                    env_id,
                    str(source["source"]),
                    source["files"],
                    source.get("encoding"),
                )
                kept.pop("files", None)
                kept.pop("encoding", None)
            stored.append(kept)
        return stored

    def _clone_dir(self, tenant: str, env_id: str, index: int | None = None) -> Path:
        base = self.policy.cache_dir or Path(tempfile.gettempdir()) / "warren-sources"
        folder = base / path_component(tenant) / path_component(env_id)
        return folder if index is None else folder / str(index)

    async def _clone(self, tenant: str, env_id: str, index: int, source: str) -> None:
        field = f"sources[{index}].source"
        try:
            target = await self._target(parse_repository(source))
            dest = self._clone_dir(tenant, env_id, index)
            await asyncio.to_thread(shutil.rmtree, dest, True)
            await clone(
                target,
                dest,
                timeout_s=self.policy.clone_timeout_s,
                max_bytes=self.policy.max_bytes,
                max_files=self.policy.max_files,
            )
        except CloneError as exc:
            raise SourceError(str(exc), field=field) from exc

    async def _target(self, repo: RepositoryUrl) -> CloneTarget:
        """Where git may fetch `repo` from: the real local path under a root, or a pinned address."""
        if repo.local_path is None:
            return await remote_target(repo, allow_private=self.policy.allow_private_hosts)
        real = self.policy.under_root(repo.local_path) if self.policy.roots else None
        if real is None:
            raise CloneError("a file:// repository must be under an allowed source root")
        return local_target(repo, real)

    async def _measure_folder(self, index: int, source: str) -> None:
        real = self.policy.folder_path(index, source)
        try:
            await asyncio.to_thread(check_tree_size, real, self.policy.max_bytes, self.policy.max_files)
        except TreeTooLargeError as exc:
            raise SourceError(f"folder {source!r} holds {exc}", field=f"sources[{index}].source") from exc

    # ---- provision time ------------------------------------------------------------------------

    async def archive(self, tenant: str, env_id: str, sources: Sequence[Mapping[str, Any]]) -> bytes | None:
        """One checked tar of every file source, relative to `/workspace`; None when there is none.

        Raises:
            SourceError: a folder left its root or vanished, or a clone is missing from the cache.
        """
        if not sources:
            return None  # nothing to pack: no trip to a worker thread (on every new sandbox's path)
        clone_dir = functools.partial(self._clone_dir, tenant, env_id)
        return await asyncio.to_thread(workspace_archive, self.policy, clone_dir, env_id, sources)

    def skill_set(self, tenant: str, env_id: str, sources: Sequence[Mapping[str, Any]]) -> SkillSet:
        """The skills an environment's sources add: bundled names and uploaded folders."""
        bundled = tuple(str(s["source"]) for s in sources if s.get("type") == "skill_registry")
        uploaded = {
            str(s["source"]): self.skills.folder(tenant, "environments", env_id, str(s["source"]))
            for s in sources
            if s.get("type") == "skill"
        }
        return SkillSet(bundled=bundled, uploaded=uploaded)

    async def release(self, tenant: str, env_id: str) -> None:
        """Delete what `prepare` kept for an environment (clones, uploaded skills, the skills view)."""
        await asyncio.to_thread(shutil.rmtree, self._clone_dir(tenant, env_id), True)
        await asyncio.to_thread(self.skills.remove, tenant, "environments", env_id)
