"""Data sources are checked at environment creation; each refusal names `sources[i].<field>` (issue 4.4)."""

from __future__ import annotations

import base64
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from orchestrator.environments.source_policy import SourceError, SourcePolicy
from orchestrator.environments.sources import Sources
from tests.unit.environments.conftest import make_repo


def _refused(sources: Sources, source: dict[str, Any]) -> SourceError:
    with pytest.raises(SourceError) as caught:
        sources.check([{"type": "inline", "content": "ok", "target": "ok.txt"}, source])
    return caught.value


@pytest.mark.parametrize(
    ("source", "field", "reason"),
    [
        ({"type": "gcs", "source": "gs://b/x"}, "sources[1].type", "not supported"),
        ({"type": "bogus"}, "sources[1].type", "not supported"),
        ({"type": "inline", "content": "x", "target": "../etc/passwd"}, "sources[1].target", ".."),
        ({"type": "inline", "content": "x", "target": "a/../../x"}, "sources[1].target", ".."),
        ({"type": "inline", "content": "x"}, "sources[1].target", "needs a target"),
        (
            {"type": "inline", "content": "%%%", "encoding": "base64", "target": "x"},
            "sources[1].content",
            "base64",
        ),
        (
            {"type": "inline", "content": "x", "encoding": "rot13", "target": "x"},
            "sources[1].encoding",
            "rot13",
        ),
        ({"type": "repository", "source": "ssh://git@host/x"}, "sources[1].source", "scheme"),
        ({"type": "repository", "source": "ext::sh -c id"}, "sources[1].source", "repository URL"),
        ({"type": "repository", "source": "https://u:tok@host/x"}, "sources[1].source", "credentials"),
        ({"type": "repository", "source": "https://host/x#--upload-pack=x"}, "sources[1].source", "ref"),
        ({"type": "repository", "source": "file:///etc"}, "sources[1].source", "source root"),
        ({"type": "repository", "source": "https://host/x", "content": "y"}, "sources[1].content", "inline"),
        ({"type": "folder", "source": "relative/path"}, "sources[1].source", "absolute"),
        ({"type": "folder", "source": "/etc"}, "sources[1].source", "not under an allowed source root"),
        ({"type": "skill_registry", "source": "no-such-skill"}, "sources[1].source", "no bundled skill"),
        (
            {"type": "skill_registry", "source": "data-analysis", "target": "x"},
            "sources[1].target",
            "/skills",
        ),
    ],
)
def test_bad_sources_are_refused_naming_the_field(
    sources: Sources, source: dict[str, Any], field: str, reason: str
) -> None:
    error = _refused(sources, source)
    assert error.field == field
    assert reason in error.message


def test_folder_sources_are_refused_without_roots(tmp_path: Path, sources: Sources) -> None:
    closed = Sources(SourcePolicy(), sources.skills)
    with pytest.raises(SourceError, match="disabled") as caught:
        closed.check([{"type": "folder", "source": str(tmp_path)}])
    assert caught.value.field == "sources[0].source"


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path, root: Path, sources: Sources) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    error = _refused(sources, {"type": "folder", "source": str(root / "escape")})
    assert error.field == "sources[1].source" and "not under an allowed source root" in error.message
    error = _refused(sources, {"type": "folder", "source": str(root / ".." / "secret")})
    assert "not under an allowed source root" in error.message


def test_a_missing_folder_is_refused(root: Path, sources: Sources) -> None:
    error = _refused(sources, {"type": "folder", "source": str(root / "nope")})
    assert "does not exist" in error.message


def _members(tar_bytes: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as archive:
        return {m.name: m for m in archive.getmembers()}


async def test_folder_links_are_dropped_and_files_owned_by_the_sandbox_user(
    tmp_path: Path, root: Path, sources: Sources
) -> None:
    data = root / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "secret.txt").write_text("host secret")
    (data / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (data / "leakdir").symlink_to(tmp_path)
    specs = [
        {"type": "folder", "source": str(data), "target": "in/data"},
        {
            "type": "inline",
            "content": base64.b64encode(b"\x00\x01").decode(),
            "encoding": "base64",
            "target": "b.bin",
        },
    ]
    stored = await sources.prepare("t", "env_1", specs)
    tar_bytes = await sources.archive("t", "env_1", stored)
    assert tar_bytes is not None
    members = _members(tar_bytes)
    assert {"in", "in/data", "in/data/sub", "in/data/sub/a.csv", "b.bin"} == set(members)
    assert all(m.uid == 1000 and m.gid == 1000 for m in members.values())


async def test_a_repository_that_fails_to_clone_fails_creation(root: Path, sources: Sources) -> None:
    (root / "not-a-repo").mkdir()
    with pytest.raises(SourceError) as caught:
        await sources.prepare("t", "env_2", [{"type": "repository", "source": f"file://{root}/not-a-repo"}])
    assert caught.value.field == "sources[0].source"
    assert "git clone failed" in caught.value.message
    assert not (sources.policy.cache_dir or Path("/nonexistent")).joinpath("t", "env_2").exists()


async def test_an_unknown_ref_fails_creation(root: Path, sources: Sources) -> None:
    repo = make_repo(root / "r.git", {"README.md": "hi"})
    with pytest.raises(SourceError, match="git clone failed"):
        await sources.prepare(
            "t", "env_3", [{"type": "repository", "source": f"file://{repo}#no-such-branch"}]
        )


async def test_a_repository_to_an_internal_host_is_refused(sources: Sources) -> None:
    with pytest.raises(SourceError, match="internal address") as caught:
        await sources.prepare("t", "env_4", [{"type": "repository", "source": "https://localhost:9/x.git"}])
    assert caught.value.field == "sources[0].source"


async def test_a_repository_is_cloned_at_a_ref_and_its_links_stay_files(root: Path, sources: Sources) -> None:
    repo = make_repo(
        root / "app.git", {"README.md": "hi", "src/main.py": "print(1)"}, {"passwd": "/etc/passwd"}
    )
    stored = await sources.prepare("t", "env_5", [{"type": "repository", "source": f"file://{repo}#v1"}])
    tar_bytes = await sources.archive("t", "env_5", stored)
    assert tar_bytes is not None
    members = _members(tar_bytes)
    assert {"app/README.md", "app/src/main.py", "app/passwd"} <= set(members)
    assert members["app/passwd"].isfile() and members["app/passwd"].size == len("/etc/passwd")
    await sources.release("t", "env_5")
    assert not (sources.policy.cache_dir or Path("/nonexistent")).joinpath("t", "env_5").exists()


async def test_a_too_large_repository_is_refused(tmp_path: Path, root: Path, sources: Sources) -> None:
    repo = make_repo(root / "big.git", {"blob.txt": "x" * 50_000})
    small = Sources(SourcePolicy(roots=(root,), cache_dir=tmp_path / "c2", max_bytes=10_000), sources.skills)
    with pytest.raises(SourceError, match="more than 10000 bytes"):
        await small.prepare("t", "env_6", [{"type": "repository", "source": f"file://{repo}"}])


def test_source_roots_come_from_a_pathsep_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from orchestrator.config import Settings

    monkeypatch.setenv("WARREN_SOURCE_ROOTS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert Settings.from_env().source_roots == [tmp_path / "a", tmp_path / "b"]
    with pytest.raises(ValueError, match="absolute"):
        Settings(source_roots=[Path("relative")])
    with pytest.raises(ValueError, match="filesystem root"):
        Settings(source_roots=[Path("/")])
