"""How a `scripted:` model's script file is found and read, safely, by name only.

The model name comes from a tenant, so it is a bare script name looked up in the operator's
folders (`WARREN_SCRIPTS_DIR`) and then the bundled `scripts/`, never a path. Only a regular file
of bounded size is read (a FIFO or device would block or never end), and no error quotes the
file's path or contents (a tenant sees them). Blocking file I/O: the provider calls it in a thread.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from orchestrator.gateway.errors import ScriptError
from orchestrator.gateway.names import check_script_name
from orchestrator.gateway.script import Script

__all__ = ["MAX_SCRIPT_BYTES", "SCRIPTS_DIR", "load_script"]

SCRIPTS_DIR = Path(__file__).parent / "scripts"
"""The bundled scripts (`scripted:demo`); an operator adds folders with `WARREN_SCRIPTS_DIR`."""
MAX_SCRIPT_BYTES = 1 << 20
"""Largest script file read, in bytes."""

_EXTENSIONS = (".yaml", ".yml", ".json")
_MAX_PROBLEMS = 5


def load_script(name: str, folders: Sequence[Path] = ()) -> Script:
    """Load the script `name` from the first of `folders`, then the bundled folder, that has it.

    Blocking file I/O: call it from a worker thread. Only a regular file of at most
    `MAX_SCRIPT_BYTES` is read (a FIFO or device is refused before a byte is read), and no error
    quotes the file's path or contents, since a tenant may see them.

    Raises:
        ScriptError: the name is not a script name, no folder has it, or it does not load.
    """
    check_script_name(name)
    for folder in (*folders, SCRIPTS_DIR):
        for ext in _EXTENSIONS:
            raw = _read_regular(folder / f"{name}{ext}", name)
            if raw is not None:
                return _parse(name, ext, raw)
    known = [*sorted(p.stem for p in SCRIPTS_DIR.glob("*.y*ml")), "echo"]
    raise ScriptError(f"no script named {name!r}; known: {', '.join(known)}")


def _read_regular(path: Path, name: str) -> bytes | None:
    """The bytes of `path`, or `None` when it does not exist. Refuses non-regular and large files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ScriptError(f"cannot read script {name!r}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScriptError(f"script {name!r} is not a regular file")
        if info.st_size > MAX_SCRIPT_BYTES:
            raise ScriptError(f"script {name!r} is larger than {MAX_SCRIPT_BYTES} bytes")
        data = file.read(MAX_SCRIPT_BYTES + 1)
    if len(data) > MAX_SCRIPT_BYTES:  # it grew after the check
        raise ScriptError(f"script {name!r} is larger than {MAX_SCRIPT_BYTES} bytes")
    return data


def _parse(name: str, ext: str, raw: bytes) -> Script:
    """Parse and validate a script; errors say where, never what the file holds."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if ext == ".json" else yaml.safe_load(text)
        return Script.model_validate(data)
    except UnicodeDecodeError:
        raise ScriptError(f"script {name!r} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ScriptError(
            f"script {name!r} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ScriptError(f"script {name!r} is not valid YAML{where}") from None
    except ValidationError as exc:
        raise ScriptError(f"script {name!r} is malformed: {_problems(exc)}") from None


def _problems(exc: ValidationError) -> str:
    """Each validation problem as `location: message`, without the offending input (pydantic's
    `input_value`), so a script that quotes a secret never repeats it in an error."""
    shown = [
        f"{'.'.join(str(part) for part in error['loc']) or 'script'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False, include_context=False)[:_MAX_PROBLEMS]
    ]
    more = exc.error_count() - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
