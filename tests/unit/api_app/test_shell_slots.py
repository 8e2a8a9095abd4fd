"""Shell caps (issue 13): per environment and per tenant, freed when a shell ends."""

from __future__ import annotations

import contextlib

import pytest

from orchestrator.api.shell_slots import ShellLimitError, ShellSlots


def test_caps_per_environment_then_per_tenant_and_slots_come_back() -> None:
    slots = ShellSlots(per_environment=2, per_tenant=3)
    with contextlib.ExitStack() as held:
        held.enter_context(slots.hold("a", "env1"))
        held.enter_context(slots.hold("a", "env1"))
        with pytest.raises(ShellLimitError, match="2 per environment"), slots.hold("a", "env1"):
            pass
        held.enter_context(slots.hold("a", "env2"))
        with pytest.raises(ShellLimitError, match="3 per tenant"), slots.hold("a", "env3"):
            pass
        held.enter_context(slots.hold("b", "env1"))  # same id, another tenant: its own count
        assert (slots.open_count("a"), slots.open_count("a", "env1"), slots.open_count("b")) == (3, 2, 1)
    assert (slots.open_count("a"), slots.open_count("a", "env1"), slots.open_count("b")) == (0, 0, 0)


def test_a_slot_is_freed_when_the_shell_fails() -> None:
    slots = ShellSlots(per_environment=1, per_tenant=1)
    with pytest.raises(RuntimeError), slots.hold("a", "env"):
        raise RuntimeError("the sandbox went away")
    with slots.hold("a", "env"):
        assert slots.open_count("a") == 1
