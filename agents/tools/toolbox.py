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
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from agents.model_types import ToolDeclaration
from agents.skills import discover
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
from agents.tools.browser import BrowserSession
from agents.tools.declarations import builtin_declarations, enabled_tools
from agents.tools.files import FileTools
from agents.tools.results import ToolError, ToolResult
from agents.tools.run_code import CodeSessions
from agents.tools.screencast import FrameSink, Screencast
from agents.tools.search import FileSearch
from agents.tools.skill import SkillLoader
from agents.tools.toolbox_config import ToolboxConfig
from agents.tools.workspace import Workspace

__all__ = ["Toolbox"]

_log = logging.getLogger(__name__)


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

    def __init__(
        self,
        config: ToolboxConfig | None = None,
        *,
        enabled: Iterable[str] | None = None,
        frames: FrameSink | None = None,
    ) -> None:
        """Args:
        config: where the tools work; defaults suit the sandbox (`/workspace`, `/skills`).
        enabled: the subset of `BUILTIN_TOOL_NAMES` this agent may use (default: all).
        frames: where the browser's page goes while someone watches (`watch`); None: nowhere.
        """
        self.config = config or ToolboxConfig()
        cfg = self.config
        self.workspace = Workspace.at(cfg.workspace)
        self._code = CodeSessions(self.workspace, self._code_env(), cfg.output_limit)
        self._screencast = Screencast(frames) if frames is not None else None
        self._browser = BrowserSession(
            self.workspace,
            executable=cfg.chromium,
            output_limit=cfg.output_limit,
            screencast=self._screencast,
        )
        files = FileTools(self.workspace, cfg.output_limit)
        search = FileSearch(self.workspace, use_ripgrep=cfg.use_ripgrep)
        skills = SkillLoader(cfg.skills_root, cfg.workspace)
        every = {
            "run_code": _Tool(RunCodeArgs, self._code.run),
            "read_file": _Tool(ReadFileArgs, files.read_file),
            "write_file": _Tool(WriteFileArgs, files.write_file),
            "edit_file": _Tool(EditFileArgs, files.edit_file),
            "list_files": _Tool(ListFilesArgs, files.list_files),
            "search_files": _Tool(SearchFilesArgs, search.search_files),
            "browser": _Tool(BrowserArgs, self._browser.run),
            "load_skill": _Tool(LoadSkillArgs, skills.load_skill),
        }
        self._enabled = enabled_tools(enabled)
        self._tools = {name: every[name] for name in self._enabled}

    async def __aenter__(self) -> Toolbox:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def declarations(self) -> list[ToolDeclaration]:
        """The enabled tools as the model should see them: name, description and argument schema.

        Built here, not in `__init__`: the runner never asks (the orchestrator declares the tools),
        and the schemas cost its start ~10 ms of pydantic work.
        """
        return builtin_declarations(self._enabled)

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

    async def prestart(self) -> None:
        """Start the bash session ahead of the first `run_code` (only when the agent may run code)."""
        if "run_code" in self._tools:
            await self._code.prestart()

    async def warm(self) -> None:
        """Start the shell and run one empty command through the whole `run_code` path (argument
        checks, the workspace scan, the shell's wrappers), and read the skills shown now, so the
        first real call and skill index pay none of their first-time costs. For a warm-pool
        sandbox, before its environment exists."""
        if "run_code" in self._tools:
            await self.prestart()
            await self.call("run_code", {"language": "bash", "code": ":"})
        await asyncio.to_thread(discover, self.config.skills_root)  # the skill index parses them once

    async def adopt_environment(self) -> None:
        """This process's environment changed (a warm-pool sandbox got its environment's
        variables): the code sessions take it, without the hidden variables, as if just made."""
        await self._code.adopt(self._code_env())

    def _code_env(self) -> dict[str, str]:
        """What model-run code inherits: this process's variables but the hidden ones, plus `code_env`."""
        cfg = self.config
        return {k: v for k, v in os.environ.items() if k not in cfg.hidden_env} | cfg.code_env

    def watch(self, watched: bool) -> None:
        """Someone watches the browser (or stopped): stream its page to `frames` only meanwhile."""
        if self._screencast is not None:
            self._screencast.want(watched)

    async def interrupt(self) -> None:
        """Stop whatever is running (the kernel's execution, the shell's command); sessions survive.

        For cancel: the interrupted call returns promptly with an `[interrupted]` result.
        """
        await self._code.interrupt()

    async def close(self) -> None:
        """Shut down the kernel, the shell and the browser; safe to call twice."""
        results = await asyncio.gather(
            self._code.kernel.close(), self._code.bash.close(), self._browser.close(), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                _log.warning("closing a tool session failed: %r", result)
