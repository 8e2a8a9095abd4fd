"""The workspace's AGENTS.md and `.agents/skills`, read inside the sandbox as untrusted data."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from agents.protocol import WorkItem
from agents.sandbox_view import step_context
from agents.skills_mount import SkillsMount
from agents.tools.args import LoadSkillArgs
from agents.tools.results import ToolError
from agents.tools.skill import SkillLoader
from agents.workspace_conventions import read_instructions, workspace_skills


def _skill(root: Path, name: str, description: str = "Does x.") -> None:
    (root / name).mkdir(parents=True)
    (root / name / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {description}\n---\nSteps.\n")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    (root / ".agents").mkdir(parents=True)
    return root


def test_both_agents_md_files_are_read_in_order(workspace: Path) -> None:
    (workspace / "AGENTS.md").write_text("Root rules.\n")
    (workspace / ".agents" / "AGENTS.md").write_text("Hidden rules.\n")
    assert (
        read_instructions(workspace) == "### AGENTS.md\nRoot rules.\n\n### .agents/AGENTS.md\nHidden rules."
    )


def test_instructions_are_cut_at_the_limit_and_say_so(workspace: Path) -> None:
    (workspace / "AGENTS.md").write_text("a" * 100)
    (workspace / ".agents" / "AGENTS.md").write_text("never read")
    text = read_instructions(workspace, limit=40)
    assert text is not None and text.startswith("### AGENTS.md\n" + "a" * 40 + "\n(cut here")
    assert "never read" not in text


def test_links_and_fifos_are_not_followed(workspace: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("runner secret")
    (workspace / "AGENTS.md").symlink_to(secret)
    os.mkfifo(workspace / ".agents" / "AGENTS.md")  # a FIFO would block a plain open
    assert read_instructions(workspace) is None


def test_a_linked_agents_folder_is_not_followed(workspace: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "AGENTS.md").write_text("runner secret")
    (workspace / ".agents").rmdir()
    (workspace / ".agents").symlink_to(elsewhere)
    assert read_instructions(workspace) is None


def test_workspace_skills_are_found_and_bundled_names_win(workspace: Path, tmp_path: Path) -> None:
    skills = workspace / ".agents" / "skills"
    _skill(skills, "x", "Formats the digest.")
    _skill(skills, "web-research", "An impostor.")
    outside = tmp_path / "outside"
    _skill(outside, "linked", "Should not be seen.")
    (skills / "linked").symlink_to(outside / "linked")
    (skills / "broken").mkdir()
    found = workspace_skills(workspace, taken={"web-research"})
    assert [(s.name, s.description) for s in found] == [("x", "Formats the digest.")]


def test_a_linked_skills_folder_is_ignored(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _skill(outside, "x")
    (workspace / ".agents" / "skills").symlink_to(outside)
    assert workspace_skills(workspace, taken=set()) == []


def test_the_step_context_lists_bundled_then_workspace_skills(workspace: Path, tmp_path: Path) -> None:
    bundled = tmp_path / "skills"
    _skill(bundled, "web-research")
    _skill(workspace / ".agents" / "skills", "x")
    (workspace / "AGENTS.md").write_text("Rules.")
    work = WorkItem(interaction_id="i1", builtin_tools=["load_skill"])
    mounted = SkillsMount(bundled)
    seen = step_context(work, workspace, mounted)
    assert [s.name for s in seen.skills] == ["web-research", "x"]
    assert seen.instructions == "### AGENTS.md\nRules."
    without = step_context(WorkItem(interaction_id="i1", builtin_tools=[]), workspace, mounted)
    assert without.skills == [] and without.instructions == "### AGENTS.md\nRules."

    _skill(workspace / ".agents" / "skills", "y")  # the agent's work adds one: the next turn shows it
    _skill(bundled, "zz-late")  # /skills never changes once the runner serves its environment
    again = step_context(work, workspace, mounted)
    assert [s.name for s in again.skills] == ["web-research", "x", "y"], "/skills read once, the rest again"
    mounted.forget()  # a warm-pool hand-over selected the environment's own skills
    assert [s.name for s in step_context(work, workspace, mounted).skills] == [
        "web-research",
        "zz-late",
        "x",
        "y",
    ]


def test_a_read_ahead_of_skills_is_read_once_in_its_thread_and_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`read_ahead` reads `/skills` in a thread while the runner waits for its first turn; the first
    use waits for that read instead of reading again, and a failed read is read again on use."""
    import threading
    import time

    import agents.skills_mount as skills_mount

    bundled = tmp_path / "skills"
    _skill(bundled, "web-research")
    reads: list[str] = []
    real_discover = skills_mount.discover

    def slow_discover(root: Path) -> list[object]:
        reads.append(threading.current_thread().name)
        time.sleep(0.2)  # still reading when the first use comes
        return list(real_discover(root))

    monkeypatch.setattr(skills_mount, "discover", slow_discover)
    mounted = SkillsMount(bundled)
    mounted.read_ahead()
    assert [skill.name for skill in mounted.skills()] == ["web-research"]
    assert mounted.hooks().groups == {}
    assert reads == ["skills-read"], "read once, by the read-ahead, and waited for"
    mounted.read_ahead()  # read already: nothing more
    assert reads == ["skills-read"]

    def failing_discover(root: Path) -> list[object]:
        reads.append(threading.current_thread().name)
        raise OSError("gone")

    monkeypatch.setattr(skills_mount, "discover", failing_discover)
    again = SkillsMount(bundled)
    again.read_ahead()
    with pytest.raises(OSError, match="gone"):  # the thread's failure is the first use's to report
        again.skills()
    assert reads[1:] == ["skills-read", threading.current_thread().name]


def test_each_convention_alone_reaches_the_step_context(tmp_path: Path) -> None:
    """The context looks for instructions and skills only when the root holds `AGENTS.md` or
    `.agents` (one listing of the root decides): each of them alone is still found."""
    work = WorkItem(interaction_id="i1", builtin_tools=["load_skill"])
    mounted = SkillsMount(tmp_path / "none")
    root = tmp_path / "root"
    root.mkdir()
    (root / "AGENTS.md").write_text("Root rules.")
    assert step_context(work, root, mounted).instructions == "### AGENTS.md\nRoot rules."
    hidden = tmp_path / "hidden"
    (hidden / ".agents").mkdir(parents=True)
    (hidden / ".agents" / "AGENTS.md").write_text("Hidden rules.")
    assert step_context(work, hidden, mounted).instructions == "### .agents/AGENTS.md\nHidden rules."
    skilled = tmp_path / "skilled"
    _skill(skilled / ".agents" / "skills", "x")
    assert [s.name for s in step_context(work, skilled, mounted).skills] == ["x"]
    bare = tmp_path / "bare"
    (bare / "src").mkdir(parents=True)
    seen = step_context(work, bare, mounted)
    assert (seen.instructions, seen.skills, seen.workspace) == (None, [], ["src/"])


def test_load_skill_loads_a_workspace_skill_but_not_through_a_link(workspace: Path, tmp_path: Path) -> None:
    bundled = tmp_path / "skills"
    bundled.mkdir()
    _skill(workspace / ".agents" / "skills", "x")
    outside = tmp_path / "outside"
    _skill(outside, "linked")
    (workspace / ".agents" / "skills" / "linked").symlink_to(outside / "linked")
    loader = SkillLoader(bundled, workspace)
    loaded = asyncio.run(loader.load_skill(LoadSkillArgs(name="x")))
    assert "Skill x" in loaded.output and "read-only" not in loaded.output
    with pytest.raises(ToolError, match="Available skills: x"):
        asyncio.run(loader.load_skill(LoadSkillArgs(name="linked")))
