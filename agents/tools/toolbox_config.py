"""`ToolboxConfig`: where one session's tools work and what they may use.

A room of its own so the settings read apart from the routing in `toolbox.py`; every field has a
sandbox default, and tests point them at temporary folders.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agents.protocol import TOKEN_ENV
from agents.tools.text import DEFAULT_OUTPUT_LIMIT

__all__ = ["ToolboxConfig"]


class ToolboxConfig(BaseModel):
    """Where a session's tools work and what they may use."""

    model_config = ConfigDict(extra="forbid")

    workspace: Path = Path("/workspace")
    """Root the file tools are confined to, and the working directory of code."""
    skills_root: Path = Path("/skills")
    """Folder holding one folder per skill (mounted read-only in the sandbox)."""
    output_limit: int = Field(default=DEFAULT_OUTPUT_LIMIT, ge=1000)
    """Characters of text one tool result may carry before it is truncated with a marker."""
    chromium: str = Field(default_factory=lambda: os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium"))
    """Path of the Chromium executable Playwright launches."""
    use_ripgrep: bool = True
    """Use `rg` for search_files when it is installed; False forces the pure-Python search."""
    code_env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the Python kernel and the bash session."""
    hidden_env: tuple[str, ...] = (TOKEN_ENV,)
    """Variables of the runner's environment that model-run code must not inherit (the channel token)."""
