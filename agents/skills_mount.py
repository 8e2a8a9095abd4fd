"""What `/skills` holds, read once per runner: the agent's skill index and its skills' hooks.

The orchestrator fills `/skills` (a read-only mount) before the runner gets its environment (a cold
sandbox's start, a warm-pool slot's assignment) and does not change it while that runner serves it.
A warm-pool runner reads it while it waits (the bundled skills every slot starts with) and forgets
what it read when its assignment says the hand-over selected other skills. Reading it again for
every turn's skill index and every tool call's hooks found the same files at a cost of ~4 ms and ~2
ms under gVisor, where each file operation is a round trip to the gofer. The workspace's own skills
and hooks file change with the agent's work and are read every time.
"""

from __future__ import annotations

import threading
from pathlib import Path

from agents.hooks_config import LoadedHooks, skill_hooks
from agents.skills import Skill, discover

__all__ = ["SkillsMount"]


class SkillsMount:
    """`/skills` (or `root`), read on first use, or ahead of it in a thread (`read_ahead`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._skills: tuple[Skill, ...] | None = None
        self._hooks: LoadedHooks | None = None
        self._reading: threading.Thread | None = None

    def read_ahead(self) -> None:
        """Read `/skills` in a thread of its own, while the runner waits for its first turn (a cold
        runner's first poll: ~20 ms under gVisor, about what the read costs). What the thread could not
        read is read again, and fails, on first use."""
        if self._reading is None and self._skills is None:
            self._reading = threading.Thread(target=self._read, name="skills-read", daemon=True)
            self._reading.start()

    def _read(self) -> None:
        try:
            self._skills = tuple(discover(self.root))
            self._hooks = skill_hooks(self.root)
        except Exception:  # read again on first use, which reports it
            return

    def _read_done(self) -> None:
        if self._reading is not None:
            self._reading.join()
            self._reading = None

    def skills(self) -> tuple[Skill, ...]:
        """The valid skills, sorted by name (`agents.skills.discover`)."""
        self._read_done()
        if self._skills is None:
            self._skills = tuple(discover(self.root))
        return self._skills

    def forget(self) -> None:
        """`/skills` changed (a warm-pool hand-over selected the environment's skills): read it again."""
        self._read_done()
        self._skills, self._hooks = None, None

    def hooks(self) -> LoadedHooks:
        """The skills' hooks (`agents.hooks_config.skill_hooks`); callers copy before adding to them."""
        self._read_done()
        if self._hooks is None:
            self._hooks = skill_hooks(self.root)
        return self._hooks
