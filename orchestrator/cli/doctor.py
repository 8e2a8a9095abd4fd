"""`warren doctor`: is this host ready to run Warren? Engine, runtimes, image, database, disk and
the model providers' settings (never their keys), each with a fix when it fails; exit code 1 then."""

from __future__ import annotations

import dataclasses
import json

import typer

from orchestrator.cli.common import JsonOpt
from orchestrator.cli.console import literal, out
from orchestrator.config import Settings

__all__ = ["NAME", "doctor"]

NAME = "doctor"
_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def doctor(as_json: JsonOpt = False) -> None:
    """Check the engine, runtimes, image, database, disk space and providers; exit 1 when one fails."""
    from orchestrator.cli.doctor_checks import run_checks  # the store and the engine's client: ~0.45 s

    checks = run_checks(Settings.from_env())
    if as_json:
        print(json.dumps([dataclasses.asdict(check) for check in checks], indent=2))
    else:
        for check in checks:
            line = f"{_MARK[check.state]}  {check.name:<20} {check.detail}"
            out.print(
                literal(line + (f"\n      fix: {check.fix}" if check.fix and check.state != "ok" else ""))
            )
    if any(check.state == "fail" for check in checks):
        raise typer.Exit(1)
