"""Each tar member refusal names the member it refused, and extraction keeps its second line of
defence (issue 21, mutation follow-up).

The error of a refused upload tells the tenant which member was refused (the path inside their own
archive, never a host path), so each check is run here with a distinct member name and the error must
carry exactly it. Extraction resolves every target against a destination that may already hold a
symlink, and extracts with the stdlib `data` filter, which drops set-id bits.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from orchestrator.sandbox import UnsafeArchiveError
from orchestrator.sandbox.tarsafe import check_tar, pack_files, safe_extract


def _tar(*members: tarfile.TarInfo, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:", format=fmt) as archive:
        for member in members:
            archive.addfile(member, io.BytesIO(b"\0" * member.size) if member.isfile() else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, **extra: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in extra.items():
        setattr(info, key, value)
    return info


def _nul_named() -> tarfile.TarInfo:
    info = tarfile.TarInfo("plain")
    info.pax_headers = {"path": "evil\x00name"}
    return info


CASES = {
    "NUL byte": (_nul_named, "'evil\\x00name'", "NUL byte in name"),
    "absolute": (lambda: _member("/abs/olute"), "'/abs/olute'", "absolute path"),
    "dotdot": (lambda: _member("in/../../out"), "'in/../../out'", "'..' component"),
    "symlink": (lambda: _member("sym", tarfile.SYMTYPE, linkname="/etc"), "'sym'", "link to '/etc'"),
    "hardlink": (lambda: _member("hard", tarfile.LNKTYPE, linkname="x"), "'hard'", "link to 'x'"),
    "fifo": (lambda: _member("pipe", tarfile.FIFOTYPE), "'pipe'", "device or FIFO"),
    "device": (lambda: _member("dev", tarfile.CHRTYPE), "'dev'", "device or FIFO"),
    "unknown type": (lambda: _member("volume", b"V"), "'volume'", "unsupported member type"),
}


@pytest.mark.parametrize(("make", "named", "why"), CASES.values(), ids=CASES.keys())
def test_each_refusal_names_its_member(make: object, named: str, why: str) -> None:
    assert callable(make)
    tar = _tar(make())
    with pytest.raises(UnsafeArchiveError) as refused:
        check_tar(tar)
    assert str(refused.value).startswith(f"refused tar member {named}: "), str(refused.value)
    assert why in str(refused.value)


def test_a_symlink_already_in_the_destination_is_not_followed(tmp_path: Path) -> None:
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (dest / "sub").symlink_to(outside)
    with pytest.raises(UnsafeArchiveError) as refused:
        safe_extract(pack_files({"sub/x": b"data"}), dest)
    # the directory member `sub` comes first, and it resolves through the link
    assert str(refused.value) == "refused tar member 'sub': resolves outside the target"
    assert list(outside.iterdir()) == []


def test_extraction_creates_missing_parents(tmp_path: Path) -> None:
    dest = tmp_path / "a" / "b" / "c"
    assert safe_extract(pack_files({"f": b"1"}), dest) == [(dest / "f").resolve()]
    assert (dest / "f").read_bytes() == b"1"


def test_extraction_drops_set_id_bits(tmp_path: Path) -> None:
    """The `data` filter: a set-uid file in an upload lands without the bit."""
    tar = _tar(_member("tool", size=1, mode=0o4755))
    written = safe_extract(tar, tmp_path)
    mode = os.stat(written[0]).st_mode
    assert not mode & stat.S_ISUID and stat.S_IMODE(mode) == 0o755


def test_packed_files_belong_to_the_sandbox_user() -> None:
    members = check_tar(pack_files({"d/f": b"x"}))
    assert [(m.name, m.type, m.mode, m.uid, m.gid) for m in members] == [
        ("d", tarfile.DIRTYPE, 0o755, 1000, 1000),
        ("d/f", tarfile.REGTYPE, 0o644, 1000, 1000),
    ]
