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
import base64
import binascii
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from orchestrator.config import Settings
from orchestrator.environments.clone_slots import CloneSlots
from orchestrator.environments.files import WORKSPACE, workspace_path
from orchestrator.environments.git import (
    CloneError,
    CloneTarget,
    RepositoryUrl,
    clone,
    local_target,
    parse_repository,
    remote_target,
)
from orchestrator.environments.tree import TarBuilder, TreeTooLargeError, check_tree_size
from orchestrator.errors import InvalidArgument
from orchestrator.sandbox.tarsafe import TarLimits
from orchestrator.skills import SkillSet, SkillStore, SkillUploadError, path_component

__all__ = ["SOURCE_TYPES", "SourceError", "SourcePolicy", "Sources"]

SOURCE_TYPES = ("inline", "repository", "folder", "skill_registry", "skill")
"""The source types this server materialises (`gcs` is on the wire but not supported)."""

_log = logging.getLogger(__name__)


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
        """Refuse bad sources without fetching anything.

        Raises:
            SourceError: the first bad source, naming `sources[i].<field>`.
        """
        names: set[str] = set()
        for index, source in enumerate(sources):
            _Check(self, index, source).run()
            if source.get("type") in ("skill", "skill_registry"):
                name = str(source.get("source"))
                if name in names:
                    raise SourceError(f"skill {name!r} is listed twice", field=f"sources[{index}].source")
                names.add(name)

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
        real = self.folder_path(index, source)
        try:
            await asyncio.to_thread(check_tree_size, real, self.policy.max_bytes, self.policy.max_files)
        except TreeTooLargeError as exc:
            raise SourceError(f"folder {source!r} holds {exc}", field=f"sources[{index}].source") from exc

    def folder_path(self, index: int, source: str) -> Path:
        """The real host path of a folder source, inside an allowed root.

        Raises:
            SourceError: not absolute, outside every root (links resolved first), or not a folder.
        """
        field = f"sources[{index}].source"
        if not source.startswith("/") or "\x00" in source:
            raise SourceError("a folder source must be an absolute host path", field=field)
        if not self.policy.roots:
            raise SourceError("folder sources are disabled on this server (no source roots)", field=field)
        real = self.policy.under_root(Path(source))
        if real is None:
            raise SourceError(f"folder {source!r} is not under an allowed source root", field=field)
        if not real.is_dir():
            raise SourceError(f"folder {source!r} does not exist or is not a folder", field=field)
        return real

    # ---- provision time ------------------------------------------------------------------------

    async def archive(self, tenant: str, env_id: str, sources: Sequence[Mapping[str, Any]]) -> bytes | None:
        """One checked tar of every file source, relative to `/workspace`; None when there is none.

        Raises:
            SourceError: a folder left its root or vanished, or a clone is missing from the cache.
        """
        return await asyncio.to_thread(self._archive, tenant, env_id, sources)

    def _archive(self, tenant: str, env_id: str, sources: Sequence[Mapping[str, Any]]) -> bytes | None:
        builder = TarBuilder(TarLimits())
        for index, source in enumerate(sources):
            kind = source.get("type")
            target = _relative(source.get("target") or "")
            try:
                if kind == "inline":
                    builder.add_file(target, _inline_bytes(index, source))
                elif kind == "repository":
                    clone_dir = self._clone_dir(tenant, env_id, index)
                    if not clone_dir.is_dir():
                        raise SourceError(
                            "this repository's clone is missing on the server; create the environment again",
                            field=f"sources[{index}].source",
                        )
                    builder.add_tree(clone_dir, target if source.get("target") else _default_target(source))
                elif kind == "folder":
                    real = self.folder_path(index, str(source["source"]))
                    builder.add_tree(real, target if source.get("target") else PurePosixPath(real.name))
            except TreeTooLargeError as exc:
                raise SourceError(f"the workspace sources hold {exc}", field=f"sources[{index}]") from exc
        if builder.dropped:
            _log.warning(
                "environment %s: links and special files not copied: %s", env_id, builder.dropped[:20]
            )
        return None if builder.empty else builder.finish()

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


class _Check:
    """The create-time checks of one source."""

    def __init__(self, sources: Sources, index: int, source: Mapping[str, Any]) -> None:
        self.sources = sources
        self.index = index
        self.source = source

    def fail(self, name: str, message: str) -> SourceError:
        return SourceError(message, field=f"sources[{self.index}].{name}")

    def run(self) -> None:
        kind = self.source.get("type")
        if kind not in SOURCE_TYPES:
            raise self.fail(
                "type", f"source type {kind!r} is not supported here; use one of {', '.join(SOURCE_TYPES)}"
            )
        target = self.source.get("target")
        if target is not None:
            try:
                workspace_path(str(target))
            except ValueError as exc:
                raise self.fail("target", f"{exc}; targets stay inside /workspace") from exc
        if kind != "inline" and self.source.get("content") is not None:
            raise self.fail("content", "only inline sources carry content")
        if kind != "skill" and self.source.get("files") is not None:
            raise self.fail("files", "only skill sources carry files")
        if kind != "inline" and not isinstance(self.source.get("source"), str):
            raise self.fail("source", f"a {kind} source needs `source`")
        getattr(self, f"_{kind}")()

    def _inline(self) -> None:
        if not self.source.get("target") or _relative(str(self.source["target"])) == PurePosixPath("."):
            raise self.fail("target", "an inline source needs a target file path")
        _inline_bytes(self.index, self.source)

    def _repository(self) -> None:
        try:
            repo = parse_repository(str(self.source["source"]))
        except CloneError as exc:
            raise self.fail("source", str(exc)) from exc
        if repo.local_path is not None and (
            not self.sources.policy.roots or self.sources.policy.under_root(repo.local_path) is None
        ):
            raise self.fail("source", "a file:// repository must be under an allowed source root")
        if repo.scheme == "http" and not self.sources.policy.allow_private_hosts:
            raise self.fail("source", "plain http:// repositories are refused on this server; use https://")
        if self.source.get("target") is None:
            try:
                _default_target(self.source)
            except ValueError as exc:
                raise self.fail(
                    "target", f"cannot name a folder after this repository ({exc}); set target"
                ) from exc

    def _folder(self) -> None:
        self.sources.folder_path(self.index, str(self.source["source"]))

    def _skill_registry(self) -> None:
        self._no_target()
        try:
            self.sources.skills.check_bundled(str(self.source["source"]))
        except SkillUploadError as exc:
            raise self.fail("source", exc.message) from exc

    def _skill(self) -> None:
        self._no_target()
        files = self.source.get("files")
        if not isinstance(files, Mapping) or not files:
            raise self.fail("files", "a skill source needs `files`, with at least SKILL.md")
        try:
            self.sources.skills.check_upload(str(self.source["source"]), files, self.source.get("encoding"))
        except SkillUploadError as exc:
            raise self.fail(exc.field or "source", exc.message) from exc

    def _no_target(self) -> None:
        if self.source.get("target") is not None:
            raise self.fail("target", "skills are mounted at /skills/<name>; leave `target` out")


def _relative(target: str) -> PurePosixPath:
    return PurePosixPath(workspace_path(target).relative_to(WORKSPACE))


def _default_target(source: Mapping[str, Any]) -> PurePosixPath:
    path = parse_repository(str(source["source"])).url.rstrip("/").rsplit("/", 1)[-1]
    name = path.removesuffix(".git") or "repository"
    return _relative(name)


def _inline_bytes(index: int, source: Mapping[str, Any]) -> bytes:
    content = str(source.get("content") or "")
    encoding = source.get("encoding")
    if encoding == "base64":
        try:
            return base64.b64decode(content, validate=True)
        except binascii.Error as exc:
            raise SourceError("not valid base64", field=f"sources[{index}].content") from exc
    if encoding is not None:
        raise SourceError(
            f"unknown encoding {encoding!r}; use 'base64' or leave it out", field=f"sources[{index}].encoding"
        )
    return content.encode()
