"""The create-time checks of an environment's sources: each refusal names `sources[i].<field>`.

Pure checks, nothing fetched: the source's type and fields, targets inside `/workspace`, repository
URLs and roots, skills against the bundled ones and the upload rules. `Sources.prepare` runs them
before any clone starts.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from orchestrator.environments.files import WORKSPACE, workspace_path
from orchestrator.environments.git import CloneError, parse_repository
from orchestrator.environments.source_policy import SOURCE_TYPES, SourceError, SourcePolicy
from orchestrator.skills import SkillStore, SkillUploadError

__all__ = ["check_sources", "default_target", "inline_bytes", "relative_target"]


def check_sources(policy: SourcePolicy, skills: SkillStore, sources: Sequence[Mapping[str, Any]]) -> None:
    """Refuse bad sources without fetching anything.

    Raises:
        SourceError: the first bad source, naming `sources[i].<field>`.
    """
    names: set[str] = set()
    for index, source in enumerate(sources):
        _Check(policy, skills, index, source).run()
        if source.get("type") in ("skill", "skill_registry"):
            name = str(source.get("source"))
            if name in names:
                raise SourceError(f"skill {name!r} is listed twice", field=f"sources[{index}].source")
            names.add(name)


class _Check:
    """The create-time checks of one source."""

    def __init__(
        self, policy: SourcePolicy, skills: SkillStore, index: int, source: Mapping[str, Any]
    ) -> None:
        self.policy = policy
        self.skills = skills
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
        if not self.source.get("target") or relative_target(str(self.source["target"])) == PurePosixPath("."):
            raise self.fail("target", "an inline source needs a target file path")
        inline_bytes(self.index, self.source)

    def _repository(self) -> None:
        try:
            repo = parse_repository(str(self.source["source"]))
        except CloneError as exc:
            raise self.fail("source", str(exc)) from exc
        if repo.local_path is not None and (
            not self.policy.roots or self.policy.under_root(repo.local_path) is None
        ):
            raise self.fail("source", "a file:// repository must be under an allowed source root")
        if repo.scheme == "http" and not self.policy.allow_private_hosts:
            raise self.fail("source", "plain http:// repositories are refused on this server; use https://")
        if self.source.get("target") is None:
            try:
                default_target(self.source)
            except ValueError as exc:
                raise self.fail(
                    "target", f"cannot name a folder after this repository ({exc}); set target"
                ) from exc

    def _folder(self) -> None:
        self.policy.folder_path(self.index, str(self.source["source"]))

    def _skill_registry(self) -> None:
        self._no_target()
        try:
            self.skills.check_bundled(str(self.source["source"]))
        except SkillUploadError as exc:
            raise self.fail("source", exc.message) from exc

    def _skill(self) -> None:
        self._no_target()
        files = self.source.get("files")
        if not isinstance(files, Mapping) or not files:
            raise self.fail("files", "a skill source needs `files`, with at least SKILL.md")
        try:
            self.skills.check_upload(str(self.source["source"]), files, self.source.get("encoding"))
        except SkillUploadError as exc:
            raise self.fail(exc.field or "source", exc.message) from exc

    def _no_target(self) -> None:
        if self.source.get("target") is not None:
            raise self.fail("target", "skills are mounted at /skills/<name>; leave `target` out")


def relative_target(target: str) -> PurePosixPath:
    """A source's `target`, checked to stay in `/workspace`, relative to it."""
    return PurePosixPath(workspace_path(target).relative_to(WORKSPACE))


def default_target(source: Mapping[str, Any]) -> PurePosixPath:
    """Where a repository goes without a `target`: a folder named after it."""
    path = parse_repository(str(source["source"])).url.rstrip("/").rsplit("/", 1)[-1]
    name = path.removesuffix(".git") or "repository"
    return relative_target(name)


def inline_bytes(index: int, source: Mapping[str, Any]) -> bytes:
    """An inline source's content, decoded."""
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
