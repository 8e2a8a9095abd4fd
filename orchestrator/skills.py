"""The orchestrator's side of skills: uploads checked and kept on disk, and the mounts that show them.

A sandbox sees skills under `/skills`. With no selection and no uploads it keeps what the image
holds (every bundled skill). Otherwise a per-environment "view" folder holding copies of exactly
its skills (the selected bundled ones, or all of them, and its uploads) is mounted read-only over
`/skills`: one mount with none inside it, which gVisor needs. Nothing the sandbox user can write is
ever mounted.

Layout under `root` (`data_dir/skills`): `<tenant>/agents/<agent>/<name>/`,
`<tenant>/environments/<env>/<name>/`, and `<tenant>/views/<env>/`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from agents.skills import SKILL_FILE, Skill, SkillError, load_skill, parse_skill_md
from orchestrator.config import Settings
from orchestrator.errors import WarrenError
from orchestrator.sandbox import Mount
from orchestrator.store import Store

__all__ = [
    "SKILLS_MOUNT",
    "SkillSet",
    "SkillStore",
    "SkillUploadError",
    "agent_skill_set",
    "copy_skill",
    "decode_skill_files",
]

SKILLS_MOUNT = "/skills"
"""Where a sandbox finds its skills (the runner's `discover` root)."""
MAX_SKILL_FILES = 256
MAX_SKILL_BYTES = 4 << 20
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
Owner = Literal["agents", "environments"]

_log = logging.getLogger(__name__)


class SkillUploadError(WarrenError, ValueError):
    """An uploaded skill (or a skill name) is refused; `field` is relative to the skill's entry."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class SkillSet:
    """The skills one sandbox shows under `/skills`."""

    bundled: tuple[str, ...] | None = None
    """Bundled skills to show; None means every one the image holds (no selection)."""
    uploaded: dict[str, Path] = field(default_factory=dict)
    """Uploaded skills by name, each a host folder holding its SKILL.md."""

    def plus(self, extra: SkillSet) -> SkillSet:
        """This set with `extra`'s skills added; `extra`'s uploads win a name clash.

        Without a selection every bundled skill is visible already, so `extra`'s bundled names only
        widen a selection.
        """
        bundled = None if self.bundled is None else tuple(dict.fromkeys(self.bundled + (extra.bundled or ())))
        return SkillSet(bundled=bundled, uploaded={**self.uploaded, **extra.uploaded})


def path_component(value: str) -> str:
    """`value` when it is safe as one folder name, else a stable hash of it."""
    if _SAFE_COMPONENT.fullmatch(value) and value not in (".", ".."):
        return value
    return "h-" + hashlib.sha256(value.encode()).hexdigest()[:24]


def decode_skill_files(files: Mapping[str, str], encoding: str | None) -> dict[str, bytes]:
    """The files of an uploaded skill as bytes, their paths checked.

    Raises:
        SkillUploadError: a path escapes the skill folder, the content is not valid base64, or a cap is hit.
    """
    if encoding not in (None, "base64"):
        raise SkillUploadError(f"unknown encoding {encoding!r}; use 'base64' or leave it out", "encoding")
    if len(files) > MAX_SKILL_FILES:
        raise SkillUploadError(f"a skill may hold at most {MAX_SKILL_FILES} files", "files")
    decoded: dict[str, bytes] = {}
    total = 0
    for name, content in files.items():
        where = f"files[{name!r}]"
        clean = _skill_path(name, where)
        if encoding == "base64":
            try:
                data = base64.b64decode(content, validate=True)
            except binascii.Error as exc:
                raise SkillUploadError("not valid base64", where) from exc
        else:
            data = content.encode()
        total += len(data)
        if total > MAX_SKILL_BYTES:
            raise SkillUploadError(f"a skill's files may add up to at most {MAX_SKILL_BYTES} bytes", "files")
        decoded[clean] = data
    return decoded


def _skill_path(name: str, where: str) -> str:
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        raise SkillUploadError("must be a relative path without NUL bytes or backslashes", where)
    parts = PurePosixPath(name).parts
    if ".." in parts or "." in name.split("/") or "" in name.split("/"):
        raise SkillUploadError("must not contain '.', '..' or empty segments", where)
    return str(PurePosixPath(*parts))


class SkillStore:
    """Uploaded skills on disk, the bundled skills of this host, and the mounts that show a `SkillSet`.

    Args:
        root: where uploads and views live (`data_dir/skills`).
        bundled_dir: the host copy of the image's `/skills`; None when this host has none.
    """

    def __init__(self, root: Path, bundled_dir: Path | None) -> None:
        self.root = root
        self.bundled_dir = bundled_dir

    @classmethod
    def from_settings(cls, settings: Settings) -> SkillStore:
        """The store for `settings` (`data_dir/skills`, `skills_dir` or the source tree's `skills/`)."""
        bundled = settings.skills_dir
        if bundled is None:
            candidate = Path(__file__).resolve().parents[1] / "skills"
            bundled = candidate if candidate.is_dir() else None
        return cls(settings.data_dir / "skills", bundled)

    # ---- validation ----------------------------------------------------------------------------

    def bundled_names(self) -> list[str]:
        """The valid bundled skills of this host, sorted."""
        if self.bundled_dir is None or not self.bundled_dir.is_dir():
            return []
        names = []
        for folder in sorted(self.bundled_dir.iterdir()):
            with contextlib.suppress(SkillError):
                if folder.is_dir() and not folder.is_symlink():
                    names.append(load_skill(folder).name)
        return names

    def check_bundled(self, name: str) -> str:
        """`name` when it is a bundled skill of this host.

        Raises:
            SkillUploadError: no bundled skill has that name.
        """
        known = self.bundled_names()
        if not _NAME.fullmatch(name) or name not in known:
            listed = ", ".join(known) or "none on this server"
            raise SkillUploadError(f"no bundled skill {name!r} (bundled skills: {listed})")
        return name

    @staticmethod
    def check_upload(name: str, files: Mapping[str, str], encoding: str | None = None) -> Skill:
        """Validate an uploaded skill folder: its paths, its size, and its SKILL.md (name must equal `name`).

        Raises:
            SkillUploadError: with the field and the exact reason.
        """
        decoded = decode_skill_files(files, encoding)
        text = decoded.get(SKILL_FILE)
        if text is None:
            raise SkillUploadError(f"a skill needs a {SKILL_FILE} file", "files")
        try:
            return parse_skill_md(text.decode("utf-8"), folder=name)
        except UnicodeDecodeError as exc:
            raise SkillUploadError(f"{SKILL_FILE} is not UTF-8 text", f"files[{SKILL_FILE!r}]") from exc
        except SkillError as exc:
            raise SkillUploadError(f"malformed {SKILL_FILE}: {exc}", f"files[{SKILL_FILE!r}]") from exc

    # ---- storage -------------------------------------------------------------------------------

    def folder(self, tenant: str, owner: Owner, owner_id: str, name: str | None = None) -> Path:
        """The host folder of one owner's uploaded skills (or of one of them)."""
        base = self.root / path_component(tenant) / owner / path_component(owner_id)
        return base if name is None else base / name

    def save(
        self,
        tenant: str,
        owner: Owner,
        owner_id: str,
        name: str,
        files: Mapping[str, str],
        encoding: str | None,
    ) -> Path:
        """Write a validated skill (replacing one of the same name); files 0644, folders 0755."""
        self.check_upload(name, files, encoding)
        decoded = decode_skill_files(files, encoding)
        final = self.folder(tenant, owner, owner_id, name)
        staging = final.with_name(f".{name}.{secrets.token_hex(4)}")
        for relative, data in decoded.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            path.chmod(0o644)
        for directory in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
            directory.chmod(0o755)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        return final

    def remove(self, tenant: str, owner: Owner, owner_id: str) -> None:
        """Drop an owner's uploaded skills (and, for an environment, its view)."""
        shutil.rmtree(self.folder(tenant, owner, owner_id), ignore_errors=True)
        if owner == "environments":
            shutil.rmtree(self._view(tenant, owner_id), ignore_errors=True)

    # ---- mounts --------------------------------------------------------------------------------

    def _view(self, tenant: str, env_id: str) -> Path:
        return self.root / path_component(tenant) / "views" / path_component(env_id)

    def mounts(self, tenant: str, env_id: str, skills: SkillSet) -> tuple[Mount, ...]:
        """The read-only mount that makes a sandbox of `env_id` show exactly `skills` under `/skills`:
        a per-environment folder holding copies of them; none when it shows the image's own.

        One mount, no mounts inside it: gVisor cannot even `stat` a folder that holds bind mounts
        (EINVAL), and skills are small (the bundled ones are about 100 KB together)."""
        uploads = {n: p for n, p in skills.uploaded.items() if (p / SKILL_FILE).is_file()}
        for name in set(skills.uploaded) - set(uploads):
            _log.warning("uploaded skill %r of environment %s is missing on disk; not mounted", name, env_id)
        if skills.bundled is None and not uploads:
            return ()
        bundled: dict[str, Path] = {}
        for name in self.bundled_names() if skills.bundled is None else skills.bundled:
            source = self.bundled_dir / name if self.bundled_dir is not None else None
            if source is None or not (source / SKILL_FILE).is_file():
                _log.warning("bundled skill %r is not on this host; not mounted", name)
                continue
            bundled[name] = source
        view = self._view(tenant, env_id)
        shutil.rmtree(view, ignore_errors=True)
        view.mkdir(parents=True, mode=0o755)
        view.chmod(0o755)
        for name, source in {**bundled, **uploads}.items():  # an upload wins a bundled name
            copy_skill(source, view / name)
        return (Mount(source=str(view), target=SKILLS_MOUNT),)

    def set_for(self, tenant: str, owner: Owner, owner_id: str, entries: Iterable[Any]) -> SkillSet:
        """The `SkillSet` of a stored skill list: strings name bundled skills, objects uploaded ones."""
        bundled: list[str] = []
        uploaded: dict[str, Path] = {}
        for entry in entries:
            if isinstance(entry, str):
                bundled.append(entry)
            elif isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                uploaded[entry["name"]] = self.folder(tenant, owner, owner_id, entry["name"])
        return SkillSet(bundled=tuple(bundled), uploaded=uploaded)


async def agent_skill_set(store: Store, skills: SkillStore, tenant: str, env_id: str) -> SkillSet | None:
    """The skills of the agent whose interaction is starting `env_id`'s sandbox, or None (no selection).

    The agent is that of the environment's most recent agent interaction; along its `base_agent`
    chain, the most specific agent that lists `skills` decides.
    """
    from orchestrator.catalog import resolve_agent  # the catalog imports the API layer: keep it lazy

    agent_id = await store.interactions.latest_agent(tenant, env_id)
    if agent_id is None:
        return None
    try:
        chain = await resolve_agent(store, tenant, agent_id)
    except LookupError:
        return None
    for spec in chain:
        if spec.get("skills") is not None:
            return skills.set_for(tenant, "agents", str(spec["id"]), spec["skills"])
    return None


def copy_skill(source: Path, target: Path) -> None:
    """A skill folder copied for a sandbox's `/skills`: no links followed, readable by all, root's."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=False)
    for path in [target, *target.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
