"""Argument models of the built-in tools: the model-facing contract of DESIGN.md section 3.

Each class docstring is the tool's description for the model, and each field docstring
is the parameter's description, so the JSON schema the model sees (`declarations.py`) is
generated from the same code that validates its calls.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "BrowserArgs",
    "EditFileArgs",
    "ListFilesArgs",
    "LoadSkillArgs",
    "ReadFileArgs",
    "RunCodeArgs",
    "SearchFilesArgs",
    "ToolArgs",
    "WriteFileArgs",
]


class ToolArgs(BaseModel):
    """Base of every argument model: unknown arguments are refused, field docstrings become schema
    (read by `declarations`, not by pydantic's `use_attribute_docstrings`: that parses each model's
    source as its class is made, at every runner's start)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RunCodeArgs(ToolArgs):
    """Run Python or bash code in this environment's persistent sessions. Python runs in one
    IPython-like session whose variables, imports and working directory persist between calls; the last
    expression's value and displayed images (`display()`, matplotlib plots) are returned. Bash runs in
    one long-lived shell whose working directory and exported variables persist. Files created or
    changed in the workspace are listed."""

    language: Literal["python", "bash"] = "python"
    """`python` for the Python session, `bash` for the shell session."""
    code: str
    """The code to run. For bash, a script of one or more commands; its stdin is empty."""
    timeout_s: float = Field(default=120, ge=1, le=3600)
    """Seconds to wait before interrupting the run. The session and its state survive a timeout."""


class ReadFileArgs(ToolArgs):
    """Read a text file from the workspace, with line numbers. Binary files are described instead
    (and images are shown). Use `offset` and `limit` to page through long files."""

    path: str
    """File path, relative to the workspace root or absolute inside it."""
    offset: int = Field(default=1, ge=1)
    """1-based number of the first line to return."""
    limit: int = Field(default=2000, ge=1, le=10_000)
    """Maximum number of lines to return."""


class WriteFileArgs(ToolArgs):
    """Create or overwrite a text file in the workspace, creating parent directories as needed."""

    path: str
    """File path, relative to the workspace root or absolute inside it."""
    content: str
    """The complete new content of the file (UTF-8)."""


class EditFileArgs(ToolArgs):
    """Replace one exact piece of text in a workspace file. `old_text` must occur exactly once:
    include enough surrounding lines to make it unique. Whitespace and indentation must match."""

    path: str
    """File path, relative to the workspace root or absolute inside it."""
    old_text: str = Field(min_length=1)
    """The exact text to replace, copied from the file (without read_file's line-number prefixes)."""
    new_text: str
    """The text to put in its place (may be empty to delete)."""


class ListFilesArgs(ToolArgs):
    """List files and directories in the workspace as a tree (directories end with `/`, files show
    their size)."""

    path: str = "."
    """Directory to list, relative to the workspace root or absolute inside it."""
    depth: int = Field(default=2, ge=1, le=10)
    """How many directory levels to descend (1 lists only the directory itself)."""


class SearchFilesArgs(ToolArgs):
    """Search file contents in the workspace with a regular expression; returns `path:line: text`
    for each matching line. Hidden files and directories are skipped."""

    pattern: str = Field(min_length=1)
    """Regular expression (ripgrep / Python syntax) to look for in each line."""
    path: str = "."
    """File or directory to search, relative to the workspace root or absolute inside it."""


BrowserAction = Literal[
    "navigate", "snapshot", "click", "type", "press", "scroll", "back", "screenshot", "wait"
]


class BrowserArgs(ToolArgs):
    """Drive a headless Chromium browser. `navigate` opens a URL and returns the page's accessibility
    snapshot, in which interactive elements carry refs like `[ref=e12]`. Pass a ref to `click` or
    `type`; `press` sends a key (e.g. `Enter`), `scroll` moves the page (`text` up/down) or scrolls a
    ref into view, `back` goes back, `wait` waits for `text` to appear (or a number of seconds),
    `screenshot` returns an image of the page and saves it under `.warren/screenshots/`. Refs are only
    valid for the latest snapshot: take a new `snapshot` when the page has changed."""

    action: BrowserAction
    """What to do: navigate, snapshot, click, type, press, scroll, back, screenshot or wait."""
    url: str | None = None
    """For `navigate`: the URL to open (http, https or file)."""
    ref: str | None = None
    """For `click` and `type` (and optionally `press`, `scroll`): an element ref from the latest snapshot."""
    text: str | None = None
    """For `type`: the text to enter. For `press`: a key such as `Enter`. For `scroll`: `up` or `down`.
    For `wait`: text to wait for, or a number of seconds. For `screenshot`: `full` for the whole page."""

    @model_validator(mode="after")
    def _required_per_action(self) -> BrowserArgs:
        needs: dict[str, tuple[str, ...]] = {
            "navigate": ("url",),
            "click": ("ref",),
            "type": ("ref", "text"),
            "press": ("text",),
            "wait": ("text",),
        }
        for field in needs.get(self.action, ()):
            if not getattr(self, field):
                raise ValueError(f"`{field}` is required when action is {self.action!r}")
        return self


class LoadSkillArgs(ToolArgs):
    """Load a skill's full instructions (its SKILL.md) and the list of its files. Do this before
    starting a task that one of the listed skills covers."""

    name: str = Field(min_length=1, max_length=64)
    """The skill's name, as listed in the skill index."""
