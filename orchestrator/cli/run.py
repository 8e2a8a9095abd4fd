"""`warren run`: the CI entry point. One agent task, streamed live, artifacts and a report out.

This room reads the flags into a `RunJob` (`run_job.py`) and exits with its code; the run itself
is `run_session.py`, following it `run_follow.py` (through approvals: `run_chain.py`), and the
report `run_report.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.common import ApiKeyOpt, CliError, UrlOpt, UsageProblem, run_async
from orchestrator.cli.connection import connection
from orchestrator.cli.console import err, literal, out
from orchestrator.cli.run_job import RunJob, parse_duration
from orchestrator.cli.run_session import run_job
from orchestrator.cli.sources import parse_source

__all__ = ["run"]


def run(
    agent: Annotated[str, typer.Option("--agent", "-a", help="The agent to run (an id, or `default`).")],
    input_text: Annotated[str | None, typer.Option("--input", "-i", help="The task, as text.")] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input-file", help="Read the task from this file ('-' for stdin).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model for this run, e.g. `scripted:demo`.")] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            help="Upload PATH[:TARGET] into the workspace first (a folder's contents go to the top)."
            " Repeatable."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Download the files the run created or changed into this folder.")
    ] = None,
    timeout: Annotated[str, typer.Option(help="Cancel the run after this long (90s, 30m, 1h).")] = "30m",
    report: Annotated[
        Path | None,
        typer.Option("--json", help="Write a JSON report (status, steps, usage, artifacts) here."),
    ] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="Plain lines, no live view (default off a TTY).")
    ] = False,
    keep_env: Annotated[
        bool | None,
        typer.Option(
            "--keep-env/--delete-env",
            help="Keep the environment afterwards (default: keep on a remote server, delete when embedded).",
            rich_help_panel="Advanced",
        ),
    ] = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Run an agent on a task, stream its steps, save what it produced, and exit with its outcome.

    Without WARREN_URL (or --url) an embedded server starts in this process: SQLite in a temporary
    folder and the local Docker engine, removed again at the end.

    A tool call that needs approval is shown and, at a terminal, asked (`Approve run_code? [y/N]`);
    the answer continues the run, and --timeout covers the whole chain but not the time taken to
    answer. Off a terminal the run ends requires_action and prints the `warren approve` command.

    Exit codes: 0 completed · 1 failed · 2 bad usage · 3 timeout, budget or token limit ·
    4 requires_action (a client function call, or an approval left unanswered) · 130 interrupted
    (Ctrl-C cancels the run; at the approval prompt it leaves the request unanswered).

    Example: warren run -a default -i "Summarise README.md" --source . --output out --json report.json
    """
    try:
        if (input_text is None) == (input_file is None):
            raise UsageProblem("give the task with exactly one of --input or --input-file")
        text = input_text if input_text is not None else _read_input(input_file)
        job = RunJob(
            agent=agent,
            model=model,
            text=text,
            sources=[parse_source(s) for s in source or []],
            output=output,
            timeout_s=parse_duration(timeout),
            plain=plain or not out.is_terminal,
            keep=False,
        )
        remote = connection(url, api_key, required=False)
    except CliError as exc:
        err.print(f"[red]error:[/] {literal(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    job.keep = keep_env if keep_env is not None else remote is not None
    job.server_url = remote.url if remote is not None else None
    result = run_async(run_job(job, remote, report))
    raise typer.Exit(result)


def _read_input(path: Path | None) -> str:
    assert path is not None
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"--input-file {str(path)!r}: {exc.strerror}") from None
