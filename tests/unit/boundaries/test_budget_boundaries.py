"""Every budget at limit - 1, limit and limit + 1 (issue 21): steps, tokens, wall clock, and the
`agent_config` overrides that set them.

The mutation pass found the wall-clock budget never enforced, the token budget off by one and
`agent_config.max_total_tokens` ignored, and no engine-free test noticed. The orchestrator checks the
budget before every model call (`agents.budget.over_budget`, called by `channel.hub`); the budget
itself is built from the agent chain and the request (`interactions.work_item.work_item`). Both are called
here as they are, with a fake clock for the wall-clock budget.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from agents import budget as budget_check
from agents.protocol import Budget
from orchestrator.api.wire.agents import AgentConfig
from orchestrator.interactions.work_item import work_item

START = 1000.0
"""The fake monotonic clock's reading when the turn started."""


class FakeClock:
    """Stands in for the `time` module of `agents.budget`: `monotonic()` answers what the test set."""

    def __init__(self) -> None:
        self.now = START

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(budget_check, "time", fake)
    return fake


def _over(budget: Budget, turn: int, tokens: int = 0, started: float = START) -> str | None:
    """The check as the hub calls it for a turn that started at `started` and used `tokens`."""
    return budget_check.over_budget(budget, turn, started, tokens)


@pytest.mark.parametrize(("turn", "over"), [(0, False), (4, False), (5, True), (6, True)])
def test_step_budget(clock: FakeClock, turn: int, over: bool) -> None:
    """`turn` model calls were made; the sixth call (turn 5) of a 5-step budget is refused."""
    why = _over(Budget(max_steps=5), turn)
    assert (why is not None) is over, why
    if over:
        assert why == "step budget of 5 model calls reached"


@pytest.mark.parametrize(("used", "over"), [(0, False), (99, False), (100, True), (101, True)])
def test_token_budget(clock: FakeClock, used: int, over: bool) -> None:
    """At the limit no further call is made: it could only add tokens past it."""
    why = _over(Budget(max_total_tokens=100), 1, tokens=used)
    assert (why is not None) is over, why
    if over:
        assert why == f"token budget of 100 reached ({used} used)"


def test_no_token_budget_means_none(clock: FakeClock) -> None:
    assert _over(Budget(max_total_tokens=None), 1, tokens=10**12) is None


@pytest.mark.parametrize(
    ("elapsed", "over"), [(0.0, False), (59.0, False), (60.0, False), (60.001, True), (61.0, True)]
)
def test_wall_clock_budget(clock: FakeClock, elapsed: float, over: bool) -> None:
    """The loop may run `max_wall_s` seconds; a call after that is refused."""
    clock.now = START + elapsed
    why = _over(Budget(max_wall_s=60), 1)
    assert (why is not None) is over, why
    if over:
        assert why == "wall-clock budget of 60s reached"


def test_the_clock_is_the_monotonic_one(clock: FakeClock) -> None:
    """A budget measured from the turn's own start, on the clock the hub reads (not wall time)."""
    clock.now = START + 159
    assert _over(Budget(max_wall_s=60), 1, started=START + 100) is None
    clock.now = START + 161
    assert _over(Budget(max_wall_s=60), 1, started=START + 100) is not None


def test_the_step_budget_is_checked_first(clock: FakeClock) -> None:
    clock.now = START + 10_000
    why = _over(Budget(max_steps=1, max_total_tokens=1, max_wall_s=1), 1, tokens=5)
    assert why is not None and why.startswith("step budget")
    why = _over(Budget(max_steps=9, max_total_tokens=1, max_wall_s=1), 1, tokens=5)
    assert why is not None and why.startswith("wall-clock budget")


# ---- the budget a turn gets ---------------------------------------------------------------------

DEFAULTS = Budget(max_steps=50, max_total_tokens=None, max_wall_s=1800.0)


def _record(agent_config: dict[str, Any] | None = None) -> Any:
    request: dict[str, Any] = {"input": "hi"}
    if agent_config is not None:
        request["agent_config"] = agent_config
    return SimpleNamespace(id="int_budget", request=request)


def _chain(agent_config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    agent: dict[str, Any] = {"id": "custom"}
    if agent_config is not None:
        agent["agent_config"] = agent_config
    return [agent, {"id": "default"}]


def test_defaults_when_nothing_overrides() -> None:
    assert work_item(_record(), _chain(), DEFAULTS).budget == DEFAULTS
    server = Budget(max_steps=7, max_total_tokens=70, max_wall_s=7.5)
    assert work_item(_record(), _chain(), server).budget == server, "the server's settings are the defaults"


def test_request_agent_config_sets_every_budget() -> None:
    config = {"max_steps": 3, "max_total_tokens": "100", "max_wall_seconds": 60}
    assert work_item(_record(config), _chain(), DEFAULTS).budget == Budget(
        max_steps=3, max_total_tokens=100, max_wall_s=60.0
    )


def test_agent_definition_sets_every_budget_and_the_request_wins() -> None:
    agent = {"max_steps": 4, "max_total_tokens": "400", "max_wall_seconds": 40}
    assert work_item(_record(), _chain(agent), DEFAULTS).budget == Budget(
        max_steps=4, max_total_tokens=400, max_wall_s=40.0
    )
    request = {"max_total_tokens": "100"}
    assert work_item(_record(request), _chain(agent), DEFAULTS).budget == Budget(
        max_steps=4, max_total_tokens=100, max_wall_s=40.0
    )


@pytest.mark.parametrize(
    ("config", "turn", "tokens", "elapsed", "over"),
    [
        ({"max_steps": 3}, 2, 0, 0.0, None),
        ({"max_steps": 3}, 3, 0, 0.0, "step"),
        ({"max_total_tokens": "100"}, 1, 99, 0.0, None),
        ({"max_total_tokens": "100"}, 1, 100, 0.0, "token"),
        ({"max_wall_seconds": 60}, 1, 0, 59.0, None),
        ({"max_wall_seconds": 60}, 1, 0, 61.0, "wall-clock"),
    ],
)
def test_agent_config_budgets_are_enforced(
    clock: FakeClock, config: dict[str, Any], turn: int, tokens: int, elapsed: float, over: str | None
) -> None:
    """The overrides reach the check: each at its limit - 1 passes and at its limit (+1) is refused."""
    clock.now = START + elapsed
    why = _over(work_item(_record(config), _chain(), DEFAULTS).budget, turn, tokens)
    if over is None:
        assert why is None, why
    else:
        assert why is not None and why.startswith(over), why


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("max_steps", [1, 10_000], [0, -1, 10_001]),
        ("max_wall_seconds", [0.001, 86_400], [0, -1, 86_400.5]),
    ],
)
def test_agent_config_limits_on_the_wire(field: str, good: list[float], bad: list[float]) -> None:
    """A client cannot lift a budget past the server's bounds or switch it off with 0."""
    for value in good:
        assert getattr(AgentConfig.model_validate({field: value}), field) == value
    for value in bad:
        with pytest.raises(ValidationError) as caught:
            AgentConfig.model_validate({field: value})
        assert caught.value.errors()[0]["loc"] == (field,)
