"""A workspace listing ends with the helper's mark: one that comes back without it (its output lost
on the way from the engine) is asked once more, and never answered as an empty folder."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.environments.files import WorkspaceFiles
from orchestrator.errors import WarrenError
from orchestrator.sandbox import ExecRequest
from orchestrator.sandbox.backend import ExecResult
from orchestrator.sandbox.workspace_helper import LIST_END

ONE_FILE = b"f\x005\x001764000000.0\x00\x00" + LIST_END
"""What the helper prints for the file `notes.txt` listed by its own path."""


class Answers:
    """A backend whose `exec` gives these outputs in turn (exit 0)."""

    def __init__(self, *outputs: bytes) -> None:
        self.outputs = list(outputs)
        self.asked: list[ExecRequest] = []

    async def exec(self, request: ExecRequest) -> ExecResult:
        self.asked.append(request)
        return ExecResult(exit_code=0, stdout=self.outputs.pop(0))


def _files(backend: Answers) -> WorkspaceFiles:
    fake: Any = backend
    return WorkspaceFiles(fake, "sandbox-1")


async def test_a_listing_without_its_end_is_asked_again() -> None:
    backend = Answers(b"", ONE_FILE)
    entries = await _files(backend).list("notes.txt")
    assert [(e.path, e.size_bytes) for e in entries] == [("notes.txt", 5)]
    assert len(backend.asked) == 2 and backend.asked[0] == backend.asked[1]


async def test_a_listing_cut_short_twice_is_an_error_not_an_empty_folder() -> None:
    backend = Answers(b"", ONE_FILE.removesuffix(LIST_END))
    with pytest.raises(WarrenError, match="cut short"):
        await _files(backend).list("notes.txt")


async def test_a_listing_cut_after_an_entry_named_like_the_mark_is_not_whole() -> None:
    cut = b"f\x001\x001764000000.0\x00legend\x00"  # a whole record, the mark's tail in its name
    backend = Answers(cut, cut)
    with pytest.raises(WarrenError, match="cut short"):
        await _files(backend).list("docs")


async def test_an_empty_folder_is_listed_once() -> None:
    backend = Answers(LIST_END)
    assert await _files(backend).list("empty") == []
    assert len(backend.asked) == 1
