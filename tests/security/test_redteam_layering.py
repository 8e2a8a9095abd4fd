"""Layering (issue 14): domain errors carry no HTTP, one table maps them, `lint-imports` guards layers.

A wrong-way import (domain code reaching into `api`, the runtime reaching into the orchestrator) must
fail `make lint`; the error kinds must answer exactly as the routes' old translations did.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator import errors
from orchestrator.api.errors import error_body, wire_status
from orchestrator.environments.files import FileMissingError, FilePathError, FileTooLargeError
from orchestrator.environments.uploads import ChunkOffsetError, TooManyUploads, UploadMissing, UploadTooLarge
from orchestrator.errors import DomainError
from orchestrator.scheduler import QueueFullError
from orchestrator.store.errors import AlreadyExistsError, InvalidPageTokenError, NotFoundError

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the project's import contracts on the tree at `root` (no cache: nothing written there)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy_tree(tmp_path: Path) -> Path:
    for package in ("orchestrator", "agents"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_contracts_hold_on_the_tree() -> None:
    """`lint-imports` (run by `make lint`) finds every contract kept on the code as it is."""
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "broken"),
    [
        ("orchestrator/store/probe.py", "from orchestrator.api.errors import NotFound", "orchestrator.api"),
        ("orchestrator/environments/probe.py", "import orchestrator.api.deps", "orchestrator.api"),
        ("orchestrator/errors.py", "import orchestrator.store", "orchestrator.store"),
        ("agents/probe.py", "import orchestrator.config", "orchestrator"),
        ("orchestrator/catalog.py", "import agents.runner", "agents.runner"),
    ],
)
def test_a_wrong_way_import_breaks_the_contracts(
    tmp_path: Path, module: str, statement: str, broken: str
) -> None:
    """One import added against the layering (to a new or an existing module) fails `lint-imports`."""
    target = _copy_tree(tmp_path) / module
    before = target.read_text() if target.exists() else '"""Probe."""\n'
    target.write_text(f"{before}\n{statement}\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert f"not allowed to import {broken}" in result.stdout


def test_error_kinds_carry_no_http() -> None:
    """The kinds module knows no status codes and imports nothing from the API."""
    source = Path(errors.__file__).read_text()
    assert "orchestrator.api" not in source
    for name in errors.__all__:
        kind = getattr(errors, name)
        assert not hasattr(kind, "status_code"), name
        assert not hasattr(kind, "code"), name


def _wire(error: DomainError) -> tuple[int, str, str | None, str]:
    status, code = wire_status(error)
    body = error_body(error).error
    return status, code, error.field, body.message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (NotFoundError("agent", "a1"), (404, "not_found", None, "agent 'a1' not found")),
        (AlreadyExistsError("agent", "a1"), (409, "already_exists", "id", "id: agent 'a1' already exists")),
        (
            InvalidPageTokenError(),
            (400, "invalid_request", "page_token", "page_token: page_token is not valid for this listing"),
        ),
        (FilePathError("bad"), (400, "invalid_request", "file_path", "file_path: bad")),
        (FileMissingError("gone"), (404, "not_found", None, "gone")),
        (FileTooLargeError("big"), (413, "payload_too_large", None, "big")),
        (
            UploadTooLarge("upload exceeds the 5-byte limit"),
            (413, "payload_too_large", None, "upload exceeds the 5-byte limit"),
        ),
        # the old route chose 413 when the text held "limit": the kind decides now, not the words
        (
            ChunkOffsetError("chunk offset 9 is past the limit"),
            (400, "invalid_request", "offset", "offset: chunk offset 9 is past the limit"),
        ),
        (UploadMissing("no such upload session"), (404, "not_found", None, "no such upload session")),
        (
            TooManyUploads("8 uploads already open"),
            (429, "quota_exceeded", None, "8 uploads already open"),
        ),
        (QueueFullError(3), (429, "quota_exceeded", None, str(QueueFullError(3)))),
    ],
)
def test_domain_errors_answer_through_the_one_table(
    error: DomainError, expected: tuple[int, str, str | None, str]
) -> None:
    """Each domain error gets the status, code, field and message its route used to build by hand."""
    assert _wire(error) == expected


def test_builtin_meanings_are_kept() -> None:
    """Callers that catch the builtin still catch the domain errors."""
    assert isinstance(NotFoundError("agent", "a"), LookupError)
    assert isinstance(UploadMissing("x"), LookupError)
    assert isinstance(AlreadyExistsError("agent", "a"), ValueError)
    assert isinstance(InvalidPageTokenError(), ValueError)
    assert isinstance(FilePathError("x"), ValueError)
    assert isinstance(ChunkOffsetError("x"), ValueError)
    assert isinstance(QueueFullError(1), RuntimeError)
