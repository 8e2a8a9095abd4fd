"""Start-up recovery: carry on the interactions a previous process left running, or end them.

Every agent interaction is resumed in its environment: a runner still in the turn retries its last
request until this process answers; a sandbox that stopped or was never started (the process died
while making it) is started again and its new runner picks the turn up from the stored steps, where
calls that may have run get an "interrupted, not run again" result. A model-form interaction cannot
resume (its call is gone) and ends `failed` with a clear error.

With replicas (`Replica`, PostgreSQL), "left running" means "its lease lapsed": its replica died.
Start-up and the takeover loop both come here, and each interaction is claimed before it is
resumed or failed, so of two replicas looking at once only one carries it on.
"""

from __future__ import annotations

import logging

from orchestrator.interactions.ending import fail_interaction
from orchestrator.interactions.finish import InteractionEvents
from orchestrator.interactions.history import split_input
from orchestrator.interactions.jobs import InteractionJobs
from orchestrator.interactions.live import LiveLogs
from orchestrator.interactions.ports import AgentRunner
from orchestrator.interactions.replica import Replica
from orchestrator.interactions.snapshot import neutral_usage
from orchestrator.interactions.step_reads import all_events, all_steps
from orchestrator.interactions.unstored import forget
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionRecord

__all__ = ["recover"]

log = logging.getLogger("orchestrator.interactions")


async def recover(
    store: Store,
    logs: LiveLogs,
    jobs: InteractionJobs,
    runner: AgentRunner | None,
    events: InteractionEvents | None = None,
    replica: Replica | None = None,
) -> tuple[int, int]:
    """Resume what can be resumed, end the rest `failed` (their webhooks told); returns (resumed, failed).

    With `replica`, only the interactions whose lease it could claim (their replica is gone)."""
    resumable, failed = [], 0
    for record in await _left(store, replica):
        if record.agent and runner is not None and record.environment_id is not None:
            resumable.append(record)
        else:
            await fail_interaction(store, record, events)
            if record.request.get("store") is False:
                await forget(store, record.tenant, record.id)
            if replica is not None:
                await replica.release(record.id)
            failed += 1
    if runner is not None:
        runner.expect([record.id for record in resumable])
    for record in resumable:
        await _resume(store, logs, jobs, record)
    resumed = len(resumable)
    if resumed or failed:
        log.warning("left by the previous process: %d interactions resumed, %d failed", resumed, failed)
    return resumed, failed


async def _left(store: Store, replica: Replica | None) -> list[InteractionRecord]:
    """The unfinished interactions nobody runs: all of them for a lone process, else those whose
    lease this replica just claimed (one it runs itself only had its lease renewed)."""
    if replica is None:
        return await store.interactions.unfinished()
    claimed = set()
    for interaction_id in await store.leases.orphaned():
        ours = replica.holds(interaction_id)  # it runs here (this replica was slow to renew)
        if await replica.claim(interaction_id) and not ours:
            claimed.add(interaction_id)
    if not claimed:
        return []
    return [record for record in await store.interactions.unfinished() if record.id in claimed]


async def _resume(store: Store, logs: LiveLogs, jobs: InteractionJobs, record: InteractionRecord) -> None:
    """Reopen the interaction's live log and recorder from the store, and queue its run again."""
    tenant = record.tenant
    stored = await all_steps(store, tenant, record.id)
    inputs = len(split_input(record.request.get("input"))[1])
    live = logs.open(record.id, stored=await all_events(store, tenant, record.id))
    recorder = jobs.recorder(live, tenant, record.id, len(stored), stored[:inputs])
    recorder.steps = stored[inputs:]
    recorder.usage = neutral_usage(record.usage)  # the previous process's model turns count too
    jobs.submit(tenant, record, recorder, resume=True)
