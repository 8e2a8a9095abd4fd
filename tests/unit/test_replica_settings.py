"""The replica settings: a lease renewed every beat must survive one missed beat."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.config import Settings


def test_a_lease_outlives_two_beats() -> None:
    assert (Settings().replica_beat_s, Settings().replica_dead_after_s) == (2.0, 10.0)
    with pytest.raises(ValidationError, match="replica_dead_after_s must be more than twice"):
        Settings(replica_beat_s=5, replica_dead_after_s=10)
    assert Settings(replica_beat_s=1, replica_dead_after_s=3).replica_dead_after_s == 3
