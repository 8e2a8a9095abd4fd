"""Token accounting of an interaction (spec section 7.4, Usage)."""

from __future__ import annotations

from typing import Literal

from .common import WireModel

__all__ = ["GroundingToolCount", "Modality", "ModalityTokens", "Usage", "WarrenUsage"]

Modality = Literal["text", "image", "audio", "video", "document"]
"""A kind of content, for per-modality token counts."""


class ModalityTokens(WireModel):
    """Tokens of one modality."""

    modality: Modality | None = None
    """The modality."""
    tokens: int | None = None
    """How many tokens."""


class GroundingToolCount(WireModel):
    """How often a grounding tool ran."""

    type: Literal["google_search", "google_maps", "retrieval"] | None = None
    """The tool."""
    count: int | None = None
    """How many times."""


class Usage(WireModel):
    """Tokens an interaction used. Counts are plain JSON numbers."""

    total_input_tokens: int | None = None
    """Prompt tokens, over every model call."""
    total_output_tokens: int | None = None
    """Generated tokens, over every model call."""
    total_thought_tokens: int | None = None
    """Reasoning tokens."""
    total_cached_tokens: int | None = None
    """Prompt tokens served from a cache."""
    total_tool_use_tokens: int | None = None
    """Tokens of tool results fed back to the model."""
    total_tokens: int | None = None
    """Everything together."""
    initial_input_tokens: int | None = None
    """Prompt tokens of the first model call."""
    input_tokens_by_modality: list[ModalityTokens] | None = None
    """Prompt tokens per modality."""
    output_tokens_by_modality: list[ModalityTokens] | None = None
    """Generated tokens per modality."""
    cached_tokens_by_modality: list[ModalityTokens] | None = None
    """Cached tokens per modality."""
    tool_use_tokens_by_modality: list[ModalityTokens] | None = None
    """Tool-use tokens per modality."""
    grounding_tool_count: list[GroundingToolCount] | None = None
    """Runs of grounding tools."""


class WarrenUsage(WireModel):
    """Warren's extension: what the sandbox used (an interaction's turn, or summed over an
    environment's interactions)."""

    cpu_seconds: float | None = None
    """CPU time of every process in the sandbox, in seconds."""
    peak_memory_bytes: int | None = None
    """The most memory the sandbox held at once (since it last started)."""
    workspace_bytes: int | None = None
    """Bytes used in the workspace at the end."""
    egress_bytes: int | None = None
    """Bytes the egress proxy relayed to and from upstreams for the sandbox (both directions)."""
