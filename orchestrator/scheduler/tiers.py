"""Service tiers: the scheduling class a request asks for, and aging, so that no class starves.

`service_tier` ranks waiting work: `priority` before `standard` before `flex`, and `deferred` only
when no job of another class could take the slot. Waiting raises a job's class: a `deferred` job
counts as `flex` once it has waited `deferred_s` seconds; from then on (a `flex` or `standard` job
from the moment it was submitted) it moves up one class every `step_s` seconds, up to `priority`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["DEFAULT_TIER", "TIERS", "TierAging", "applied_tier", "tier_rank"]

TIERS: Final = ("priority", "standard", "flex", "deferred")
"""The tiers, best first; a tier's index is its rank."""
DEFAULT_TIER: Final = "standard"
"""The tier of a request that names none."""
_FLEX, _DEFERRED = TIERS.index("flex"), TIERS.index("deferred")


def tier_rank(tier: str) -> int:
    """The rank of `tier` (0 is `priority`); a name outside `TIERS` is a programming error."""
    if tier not in TIERS:
        raise ValueError(f"unknown service tier {tier!r}; expected one of {', '.join(TIERS)}")
    return TIERS.index(tier)


def applied_tier(request: Mapping[str, Any]) -> str:
    """The tier an interaction is scheduled in: the one its (validated) request names, else `standard`."""
    tier = request.get("service_tier")
    if tier is None:
        return DEFAULT_TIER
    return TIERS[tier_rank(str(tier))]


@dataclass(frozen=True)
class TierAging:
    """How fast waiting raises a job's class (see the module notes); both in seconds."""

    step_s: float = 60.0
    """Waiting this long moves a `flex` or `standard` job up one class."""
    deferred_s: float = 300.0
    """Waiting this long makes a `deferred` job count as `flex`."""

    def __post_init__(self) -> None:
        if self.step_s <= 0 or self.deferred_s < 0:
            raise ValueError("aging needs step_s > 0 and deferred_s >= 0")

    def rank(self, base: int, waited_s: float) -> int:
        """The class a job of rank `base` counts as after waiting `waited_s` seconds."""
        if base == _DEFERRED:
            if waited_s < self.deferred_s:
                return base
            base, waited_s = _FLEX, waited_s - self.deferred_s
        return max(0, base - int(waited_s // self.step_s))
