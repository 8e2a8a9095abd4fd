"""What every built-in tool returns, and how the model learns about the tools.

The models here are neutral: the runner maps a `ToolResult` onto the wire's
`function_result` / `code_execution_result` steps and onto the gateway's tool
result messages, so no tool knows about either. Declarations use the gateway's
`agents.model_types.ToolDeclaration` (see `agents.tools.declarations`).
"""

from __future__ import annotations

import base64

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ImageData", "ToolError", "ToolResult"]


class ToolError(Exception):
    """An expected tool failure whose message is written for the model (bad path, no match, bad ref).

    Tools raise it; `Toolbox.call` turns it into an `is_error` result, so it never reaches the loop.
    """


class ImageData(BaseModel):
    """One image returned to the model (a screenshot, a plot a kernel displayed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mime_type: str
    """IANA media type, e.g. `image/png`."""
    data_b64: str
    """The image bytes, base64-encoded (standard alphabet, padded)."""

    @property
    def data(self) -> bytes:
        """The raw image bytes (what the gateway's image parts carry)."""
        return base64.b64decode(self.data_b64)


class ToolResult(BaseModel):
    """The outcome of one tool call, as the model will see it."""

    model_config = ConfigDict(extra="forbid")

    output: str
    """Text for the model: already capped, with a marker where something was cut."""
    is_error: bool = False
    """True when the call failed (bad arguments, exception, non-zero exit, timeout)."""
    images: list[ImageData] = Field(default_factory=list)
    """Image parts to show the model beside the text."""
    files: list[str] = Field(default_factory=list)
    """Workspace-relative POSIX paths the call created or modified."""
    exit_code: int | None = None
    """For `run_code`: the shell's exit status, or 0/1 for Python; None for other tools."""

    @classmethod
    def error(cls, message: str) -> ToolResult:
        """An error result carrying only a message for the model."""
        return cls(output=message, is_error=True)
