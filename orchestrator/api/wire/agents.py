"""Agents (spec section 4): the reusable definition, used both as the create body and the response."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, Tag, field_validator

from .common import WireModel, by_json_kind
from .environments import EnvironmentConfig
from .scalars import Int64, ModelName, ResourceId
from .tools import Tool

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentList",
    "AgentSkill",
    "AntigravityAgentConfig",
    "ApprovalRule",
    "EnvironmentRef",
    "SkillUpload",
]


class ApprovalRule(WireModel):
    """Warren extension: built-in calls that wait for a person's approval before they run."""

    tool: Annotated[str, Field(min_length=1, max_length=256)]
    """A regular expression searched in the built-in tool's name, e.g. `^run_code$`."""
    arguments: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    """A regular expression searched in each string among the call's arguments; absent: every call."""
    reason: Annotated[str, Field(max_length=2000)] | None = None
    """What the approval request tells the person; absent: which rule matched."""

    @field_validator("tool", "arguments")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return value


class AntigravityAgentConfig(WireModel):
    """Settings of an agent run: the model to use and a token budget."""

    type: Literal["antigravity"] = "antigravity"
    """Always `antigravity` (the only agent config type Warren accepts)."""
    model: ModelName | None = None
    """The model, e.g. `gemini:gemini-3-pro` or `scripted:demo`."""
    max_total_tokens: Int64 | None = None
    """Stop with `budget_exceeded` after this many tokens (int64, sent as a string)."""
    max_steps: int | None = Field(None, ge=1, le=10_000)
    """Warren extension: stop with `budget_exceeded` after this many model calls (default 50)."""
    max_wall_seconds: float | None = Field(None, gt=0, le=86_400)
    """Warren extension: stop with `budget_exceeded` after this many seconds (default 1800)."""
    require_approval: list[ApprovalRule] | None = Field(None, max_length=32)
    """Warren extension: pause as `requires_action` before a built-in call these rules match, until
    the client approves or denies it (an agent's rules hold for its interactions, which may add more)."""


AgentConfig = AntigravityAgentConfig
"""The agent config Warren accepts, on agents and on agent interactions."""

EnvironmentRef = Annotated[
    Annotated[EnvironmentConfig, Tag("object")] | Annotated[str, Tag("string")],
    by_json_kind("an environment config object or an environment id string"),
]
"""An environment given inline (an object) or as an existing environment's id (a string)."""


class SkillUpload(WireModel):
    """A skill folder sent with an agent (Warren extension), in the Agent Skills format."""

    name: str
    """The skill's name: equal to `name` in its SKILL.md front matter; it is mounted at `/skills/<name>`."""
    files: dict[str, str] | None = None
    """The folder's files by relative path, `SKILL.md` required; absent in responses (kept on disk).
    An object without `files` in a create body names a bundled skill, like the string form."""
    encoding: Literal["base64"] | None = None
    """How every value of `files` is encoded; plain UTF-8 text when absent."""
    description: str | None = None
    """Output only: the description from its SKILL.md."""


AgentSkill = Annotated[
    Annotated[str, Tag("string")] | Annotated[SkillUpload, Tag("object")],
    by_json_kind("a bundled skill's name or a skill object with 'name' and 'files'"),
]
"""A skill of an agent: a bundled skill's name, or an uploaded skill folder."""


class Agent(WireModel):
    """An agent definition: instructions, tools, base environment and model config."""

    id: ResourceId | None = None
    """The agent's id, used in paths and as `agent` in interactions; generated when absent."""
    description: str | None = None
    """Free text for developers."""
    base_agent: str | None = None
    """The agent this one extends (default `default`)."""
    system_instruction: str | None = None
    """Instructions placed before every conversation."""
    agent_config: AntigravityAgentConfig | None = None
    """Model and token budget."""
    base_environment: EnvironmentRef | None = None
    """The environment every session starts from: an inline config or an environment id."""
    tools: list[Tool] | None = None
    """The tools the agent may use."""
    skills: list[AgentSkill] | None = None
    """Extension: the skills its sandboxes show under `/skills`, bundled ones by name and uploaded
    folders; only these are visible. Absent: every bundled skill (or the base agent's choice); `[]`: none."""


class AgentList(WireModel):
    """A page of agents."""

    agents: list[Agent] | None = None
    """The agents on this page."""
    next_page_token: str | None = None
    """Pass as `page_token` for the next page; absent on the last."""
