"""A file written into a workspace carries the time it was written (issue 15, defect 3).

The helper in the sandbox sets each file's mtime from its tar member, so a member packed without
one made every uploaded file report `modified: 1970-01-01T00:00:00Z`.
"""

from __future__ import annotations

import io
import tarfile
import time
from typing import IO

from orchestrator.environments.archives import packed
from orchestrator.sandbox.tarsafe import pack_files


def _mtimes(archive: IO[bytes] | bytes) -> dict[str, int]:
    fileobj = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    with tarfile.open(fileobj=fileobj, mode="r:") as tar:
        return {member.name: int(member.mtime) for member in tar.getmembers()}


def test_an_uploaded_file_and_its_folders_are_packed_with_the_time_of_the_upload() -> None:
    before = int(time.time())
    with packed("data/deep/scores.csv", io.BytesIO(b"name,score\n")) as archive:
        mtimes = _mtimes(archive)
    after = int(time.time())

    assert set(mtimes) == {"data", "data/deep", "data/deep/scores.csv"}
    assert all(before <= mtime <= after for mtime in mtimes.values()), mtimes


def test_packed_sources_carry_the_time_they_were_packed() -> None:
    before = int(time.time())
    mtimes = _mtimes(pack_files({"src/main.py": b"print()\n"}))
    after = int(time.time())

    assert set(mtimes) == {"src", "src/main.py"}
    assert all(before <= mtime <= after for mtime in mtimes.values()), mtimes
