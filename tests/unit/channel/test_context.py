"""The system prompt the orchestrator composes from what the runner saw in its sandbox."""

from __future__ import annotations

from agents.protocol import SkillBrief, StepContext, WorkItem
from orchestrator.channel.context import compose


def test_workspace_instructions_follow_the_agents_own_and_keep_their_lines_but_no_controls() -> None:
    work = WorkItem(interaction_id="i1", system="You are the agent.", builtin_tools=["load_skill"])
    seen = StepContext(
        instructions="### AGENTS.md\nRule one.\n\tRule\x1b[2J two \u202eevil\u202c.",
        skills=[SkillBrief(name="x", description="Does x.")],
    )
    system = compose(work, seen).system or ""
    assert system.startswith("You are the agent.\n\n## Workspace instructions (AGENTS.md in /workspace)\n")
    assert "### AGENTS.md\nRule one.\n    Rule?[2J two ?evil?." in system
    assert system.index("Rule one.") < system.index("## Skills") < system.index("## Workspace (/workspace)")


def test_no_instructions_no_heading() -> None:
    system = compose(WorkItem(interaction_id="i1", system="S"), StepContext()).system or ""
    assert "Workspace instructions" not in system
