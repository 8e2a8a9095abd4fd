"""The `Toolbox`: the built-in tools of one session, their state, and the single entry point the loop calls.

`call` never raises for anything the model did: bad arguments, a refused path or a failed
command come back as `is_error` results the model can read and act on.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.model_types import ToolDeclaration
from agents.protocol import TOKEN_ENV
from agents.tools.args import (
    BrowserArgs,
    EditFileArgs,
    ListFilesArgs,
    LoadSkillArgs,
    ReadFileArgs,
    RunCodeArgs,
    SearchFilesArgs,
    ToolArgs,
    WriteFileArgs,
)
from agents.tools.bash import BashSession
from agents.tools.browser import BrowserSession
from agents.tools.declarations import builtin_declarations
from agents.tools.files import FileTools
from agents.tools.kernel import PythonKernel
from agents.tools.results import ToolError, ToolResult
from agents.tools.search import FileSearch
from agents.tools.skill import SkillLoader
from agents.tools.text import DEFAULT_OUTPUT_LIMIT
from agents.tools.workspace import Workspace

__all__ = ["Toolbox", "ToolboxConfig"]

_log = logging.getLogger(__name__)


class ToolboxConfig(BaseModel):
    """Where a session's tools work and what they may use."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

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


@dataclass(frozen=True)
class _Tool:
    args: type[ToolArgs]
    run: Callable[[Any], Awaitable[ToolResult]]


def _describe_errors(tool: str, error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        where = ".".join(str(part) for part in item["loc"])
        problems.append(f"`{where}`: {message}" if where else message)
    return f"Invalid arguments for {tool}: " + "; ".join(problems) + "."


class Toolbox:
    """The built-in tools of one session, with the kernel, shell and browser they keep alive.

    Use as an async context manager, or call `close()` when the session ends.
    """

    def __init__(self, config: ToolboxConfig | None = None, *, enabled: Iterable[str] | None = None) -> None:
        """Args:
        config: where the tools work; defaults suit the sandbox (`/workspace`, `/skills`).
        enabled: the subset of `BUILTIN_TOOL_NAMES` this agent may use (default: all).
        """
        self.config = config or ToolboxConfig()
        cfg = self.config
        self.workspace = Workspace.at(cfg.workspace)
        root = self.workspace.root
        env = {k: v for k, v in os.environ.items() if k not in cfg.hidden_env} | cfg.code_env
        self._kernel = PythonKernel(root, env=env, output_limit=cfg.output_limit)
        self._bash = BashSession(root, env=env, output_limit=cfg.output_limit)
        self._browser = BrowserSession(self.workspace, executable=cfg.chromium, output_limit=cfg.output_limit)
        files = FileTools(self.workspace, cfg.output_limit)
        search = FileSearch(self.workspace, use_ripgrep=cfg.use_ripgrep)
        skills = SkillLoader(cfg.skills_root)
        every = {
            "run_code": _Tool(RunCodeArgs, self._run_code),
            "read_file": _Tool(ReadFileArgs, files.read_file),
            "write_file": _Tool(WriteFileArgs, files.write_file),
            "edit_file": _Tool(EditFileArgs, files.edit_file),
            "list_files": _Tool(ListFilesArgs, files.list_files),
            "search_files": _Tool(SearchFilesArgs, search.search_files),
            "browser": _Tool(BrowserArgs, self._browser.run),
            "load_skill": _Tool(LoadSkillArgs, skills.load_skill),
        }
        self._declarations = builtin_declarations(enabled)
        self._tools = {d.name: every[d.name] for d in self._declarations}

    async def __aenter__(self) -> Toolbox:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def declarations(self) -> list[ToolDeclaration]:
        """The enabled tools as the model should see them: name, description and argument schema."""
        return list(self._declarations)

    async def call(self, name: str, arguments: Mapping[str, Any] | None) -> ToolResult:
        """Run one tool call from the model; every failure the model caused comes back as an error result."""
        tool = self._tools.get(name)
        if tool is None:
            return ToolResult.error(f"There is no tool named {name!r}. Available: {', '.join(self._tools)}.")
        if arguments is not None and not isinstance(arguments, Mapping):
            return ToolResult.error(f"Invalid arguments for {name}: expected a JSON object.")
        try:
            args = tool.args.model_validate(dict(arguments or {}))
        except ValidationError as exc:
            return ToolResult.error(_describe_errors(name, exc))
        try:
            return await tool.run(args)
        except ToolError as exc:
            return ToolResult.error(str(exc))
        except (OSError, UnicodeError) as exc:
            return ToolResult.error(f"{name} failed: {exc}")
        except Exception as exc:
            _log.exception("tool %s failed unexpectedly", name)
            return ToolResult.error(f"{name} failed unexpectedly ({type(exc).__name__}): {exc}")

    async def _run_code(self, args: RunCodeArgs) -> ToolResult:
        before = await asyncio.to_thread(self.workspace.stamps)
        session = self._kernel if args.language == "python" else self._bash
        result = await session.run(args.code, args.timeout_s)
        after = await asyncio.to_thread(self.workspace.stamps)
        changed = self.workspace.changed(before, after)
        if not changed:
            return result
        note = f"[files created or changed: {', '.join(changed[:50])}{' ...' if len(changed) > 50 else ''}]"
        output = f"{result.output}\n{note}" if result.output else note
        return result.model_copy(update={"files": changed, "output": output})

    async def prestart(self) -> None:
        """Start the bash session ahead of the first `run_code`, which then skips the shell's start-up.

        The shell is cheap to keep idle; the Python kernel (~10 MB) still starts on first use.
        """
        if "run_code" not in self._tools:
            return
        try:
            await self._bash.start()
        except OSError as exc:  # the first call tries again and reports it to the model
            _log.warning("starting the bash session ahead of use failed: %s", exc)

    async def interrupt(self) -> None:
        """Stop whatever is running (the kernel's execution, the shell's command); sessions survive.

        For cancel: the interrupted call returns promptly with an `[interrupted]` result.
        """
        await asyncio.gather(self._kernel.interrupt(), self._bash.interrupt())

    async def close(self) -> None:
        """Shut down the kernel, the shell and the browser; safe to call twice."""
        results = await asyncio.gather(
            self._kernel.close(), self._bash.close(), self._browser.close(), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                _log.warning("closing a tool session failed: %r", result)
