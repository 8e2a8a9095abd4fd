"""The bound under which the security tests call a median latency under attack unchanged.

Five times its quiet value, or 50 ms, whichever is larger. A median of a few milliseconds on this
2-core VM doubles whenever a sandbox starts or settles next to it; a defence that failed shows as
calls that wait for seconds or never end. A ratio of 2 between medians of 1-3 ms measured noise.
"""

from __future__ import annotations

__all__ = ["kept_latency"]

RATIO = 5.0
FLOOR_S = 0.05


def kept_latency(quiet_s: float, loaded_s: float) -> bool:
    """Whether the median `loaded_s` (seconds, under the attack) is within the bound of `quiet_s`."""
    return loaded_s < max(RATIO * quiet_s, FLOOR_S)
