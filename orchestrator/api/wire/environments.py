"""Environments (spec section 5): sources, env vars, the inline config and the resource.

The network policy (allowlist, injected headers) is in `network`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Tag, model_validator

from .common import WireModel, by_json_kind, field_error
from .network import Network
from .scalars import Int64, RelativePath, Timestamp
from .usage import WarrenUsage

__all__ = [
    "CreateEnvironmentRequest",
    "EnvValue",
    "EnvVar",
    "Environment",
    "EnvironmentConfig",
    "EnvironmentList",
    "EnvironmentMode",
    "EnvironmentStatus",
    "Source",
    "SourceType",
]

EnvironmentMode = Literal["on_demand", "self_hosted"]
"""The compute lifecycle of an environment."""
EnvironmentStatus = Literal["active", "expired"]
"""Whether an environment can still be used."""
SourceType = Literal["gcs", "inline", "repository", "skill_registry", "folder", "skill"]
"""Where a source's files come from; `folder` and `skill` are Warren extensions (`gcs` is refused)."""


class Source(WireModel):
    """Files that seed the workspace, or a skill for the sandbox's `/skills`."""

    type: SourceType
    """`inline` content; a git `repository` cloned by the server; a host `folder` under the server's
    source roots (extension); a bundled skill by name (`skill_registry`); an uploaded `skill`
    (extension). `gcs` is not supported by Warren."""
    source: str | None = None
    """The location: a repository URL (`https://host/path#branch-or-tag`, `host/path`, or `file:///path`
    under a source root), an absolute host folder, or a skill's name."""
    target: RelativePath | None = None
    """Where to put the files, relative to the workspace; no `..` segments. Required for `inline`;
    repositories and folders default to their own name; skills take none (they go to `/skills/<name>`)."""
    content: str | None = None
    """The file's content, for `inline`."""
    encoding: str | None = None
    """How `content` (or a skill's `files`) is encoded: `base64`, or plain text when absent."""
    files: dict[str, str] | None = None
    """For `skill` (extension): the skill folder's files by relative path, `SKILL.md` required. Not
    echoed back: the server keeps them on disk."""


class EnvVar(WireModel):
    """An environment variable given by value or by a stored credential."""

    value: str | None = None
    """The value."""
    credential: str | None = None
    """A stored credential; the secret stays in the orchestrator's egress proxy."""


EnvValue = Annotated[
    Annotated[str, Tag("string")] | Annotated[EnvVar, Tag("object")],
    by_json_kind("a string or an object with 'value' or 'credential'"),
]
"""An environment variable's value: a plain string or an `EnvVar`."""


class EnvironmentConfig(WireModel):
    """The inline environment of an agent (`base_environment`) or an interaction (`environment`)."""

    type: Literal["remote"] = "remote"
    """Always `remote`."""
    environment_id: str | None = None
    """An existing environment to update instead of creating one."""
    mode: EnvironmentMode | None = None
    """The compute lifecycle."""
    network: Network | None = None
    """The network policy; absent means unrestricted."""
    sources: list[Source] | None = None
    """Files that seed the workspace."""
    custom_config: dict[str, Any] | None = None
    """Free-form settings, only for `self_hosted`."""
    env: dict[str, EnvValue] | None = None
    """Environment variables of the sandbox."""


class CreateEnvironmentRequest(WireModel):
    """The body of `POST /{v}/environments`; every field is optional."""

    mode: EnvironmentMode | None = None
    """The compute lifecycle."""
    sources: list[Source] | None = None
    """Files that seed the workspace."""
    network: Network | None = None
    """The network policy; absent means unrestricted."""
    from_environment: str | None = None
    """Copy this environment (`environments/{id}` or `{id}`); then `sources` must be empty."""
    custom_config: dict[str, Any] | None = None
    """Free-form settings, only for `self_hosted`."""
    system_instruction: str | None = None
    """Only for `self_hosted`."""

    @model_validator(mode="after")
    def _fork_has_no_sources(self) -> CreateEnvironmentRequest:
        if self.from_environment and self.sources:
            raise field_error(self, ("sources",), "must be empty when 'from_environment' is set")
        return self


class Environment(WireModel):
    """An environment: one sandbox and its persistent workspace."""

    id: str
    """The environment's id."""
    status: EnvironmentStatus | None = None
    """Whether it can still be used."""
    mode: EnvironmentMode | None = None
    """The compute lifecycle."""
    network: Network | None = None
    """The network policy."""
    sources: list[Source] | None = None
    """The sources it was created from."""
    custom_config: dict[str, Any] | None = None
    """Free-form settings, only for `self_hosted`."""
    created: Timestamp | None = None
    """When it was created."""
    updated: Timestamp | None = None
    """When it last changed."""
    last_accessed: Timestamp | None = None
    """When it was last used."""
    file_count: Int64 | None = None
    """Files in the workspace."""
    size_bytes: Int64 | None = None
    """Bytes in the workspace."""
    environment_key: str | None = None
    """The secret of a self-hosted daemon; only in the create response."""
    warren_usage: WarrenUsage | None = None
    """Warren's extension: what its sandboxes used, over all its interactions."""


class EnvironmentList(WireModel):
    """A page of environments."""

    environments: list[Environment] | None = None
    """The environments on this page."""
    next_page_token: str | None = None
    """Pass as `page_token` for the next page; absent on the last."""
