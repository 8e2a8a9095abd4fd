"""Agents (spec section 4): the reusable definition, used both as the create body and the response."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Tag

from .common import Int64, ResourceId, WireModel, by_json_kind
from .environments import EnvironmentConfig
from .tools import Tool

__all__ = ["Agent", "AgentConfig", "AgentList", "AntigravityAgentConfig", "EnvironmentRef"]


class AntigravityAgentConfig(WireModel):
    """Settings of an agent run: the model to use and a token budget."""

    type: Literal["antigravity"] = "antigravity"
    """Always `antigravity` (the only agent config type Warren accepts)."""
    model: str | None = None
    """The model, e.g. `gemini:gemini-3-pro` or `scripted:demo`."""
    max_total_tokens: Int64 | None = None
    """Stop with `budget_exceeded` after this many tokens (int64, sent as a string)."""


AgentConfig = AntigravityAgentConfig
"""The agent config Warren accepts, on agents and on agent interactions."""

EnvironmentRef = Annotated[
    Annotated[EnvironmentConfig, Tag("object")] | Annotated[str, Tag("string")],
    by_json_kind("an environment config object or an environment id string"),
]
"""An environment given inline (an object) or as an existing environment's id (a string)."""


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


class AgentList(WireModel):
    """A page of agents."""

    agents: list[Agent] | None = None
    """The agents on this page."""
    next_page_token: str | None = None
    """Pass as `page_token` for the next page; absent on the last."""
