"""Scheduling: interactions run as tasks in bounded slots, by service tier, fairly across tenants.

`slots` runs them (`Scheduler`), `tiers` ranks the service tiers and ages waiting work, `queues`
keeps each tenant's waiting jobs, `admission` holds a queue place while a create is checked.
"""

from orchestrator.scheduler.admission import Admission, QueueFullError
from orchestrator.scheduler.slots import Scheduler
from orchestrator.scheduler.tiers import DEFAULT_TIER, TIERS, TierAging, applied_tier

__all__ = ["DEFAULT_TIER", "TIERS", "Admission", "QueueFullError", "Scheduler", "TierAging", "applied_tier"]
