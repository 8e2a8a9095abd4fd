"""Uploaded skills are checked at upload, with the reason; selections become read-only mounts (issue 4.3)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from orchestrator.environments.source_policy import SourceError
from orchestrator.environments.sources import Sources
from orchestrator.skills import SkillSet, SkillStore, SkillUploadError
from tests.unit.environments.conftest import REPO, SKILL_MD


@pytest.mark.parametrize(
    ("files", "field", "reason"),
    [
        ({"SKILL.md": "no front matter"}, "files['SKILL.md']", "front matter"),
        ({"SKILL.md": "---\nname: hello\n---\nbody"}, "files['SKILL.md']", "description"),
        ({"SKILL.md": SKILL_MD.format(name="other")}, "files['SKILL.md']", "must match"),
        ({"SKILL.md": "---\nname: [\n---\nx"}, "files['SKILL.md']", "not valid YAML"),
        ({"README.md": "x"}, "files", "SKILL.md"),
        ({"SKILL.md": SKILL_MD.format(name="hello"), "../x.py": "x"}, "files['../x.py']", ".."),
        ({"SKILL.md": SKILL_MD.format(name="hello"), "/abs.py": "x"}, "files['/abs.py']", "relative"),
    ],
)
def test_malformed_uploads_are_refused_with_the_reason(
    files: dict[str, str], field: str, reason: str
) -> None:
    with pytest.raises(SkillUploadError) as caught:
        SkillStore.check_upload("hello", files)
    assert caught.value.field == field
    assert reason in caught.value.message


def test_a_base64_upload_is_decoded() -> None:
    text = SKILL_MD.format(name="hello")
    skill = SkillStore.check_upload("hello", {"SKILL.md": base64.b64encode(text.encode()).decode()}, "base64")
    assert skill.description == "Says hello in a friendly way."


def test_a_skill_source_names_the_field(sources: Sources) -> None:
    with pytest.raises(SourceError) as caught:
        sources.check([{"type": "skill", "source": "hello", "files": {"SKILL.md": "nope"}}])
    assert caught.value.field == "sources[0].files['SKILL.md']"


def test_saved_skills_are_readable_and_a_selection_hides_the_rest(tmp_path: Path) -> None:
    store = SkillStore(tmp_path / "skills", REPO / "skills")
    folder = store.save(
        "t",
        "agents",
        "a1",
        "hello",
        {"SKILL.md": SKILL_MD.format(name="hello"), "scripts/hello.py": "print('hi')"},
        None,
    )
    assert (folder / "SKILL.md").stat().st_mode & 0o777 == 0o644
    assert (folder / "scripts").stat().st_mode & 0o777 == 0o755
    assert "data-analysis" in store.bundled_names()

    assert store.mounts("t", "env_0", SkillSet()) == (), "no selection, no uploads: the image's own"
    unselected = store.mounts("t", "env_1", SkillSet(uploaded={"hello": folder}))
    assert [(m.target, m.read_only) for m in unselected] == [("/skills", True)], "one mount, none inside"
    every = sorted(p.name for p in Path(unselected[0].source).iterdir())
    assert every == sorted([*store.bundled_names(), "hello"]), "every bundled skill and the upload"

    selected = store.mounts("t", "env_1", SkillSet(bundled=("data-analysis",), uploaded={"hello": folder}))
    assert [(m.target, m.read_only) for m in selected] == [("/skills", True)]
    view = Path(selected[0].source)
    assert sorted(p.name for p in view.iterdir()) == ["data-analysis", "hello"]
    assert (view / "hello" / "scripts" / "hello.py").read_text() == "print('hi')"
    assert (view / "hello" / "SKILL.md").stat().st_mode & 0o777 == 0o644
    assert (view / "data-analysis" / "SKILL.md").read_bytes() == (
        REPO / "skills/data-analysis/SKILL.md"
    ).read_bytes()

    store.remove("t", "environments", "env_1")
    assert not view.exists()


def test_a_selection_widened_by_the_environment() -> None:
    agent = SkillSet(bundled=("data-analysis",))
    env = SkillSet(bundled=("web-research",), uploaded={"x": Path("/x")})
    assert agent.plus(env) == SkillSet(bundled=("data-analysis", "web-research"), uploaded={"x": Path("/x")})
    assert SkillSet().plus(env).bundled is None
