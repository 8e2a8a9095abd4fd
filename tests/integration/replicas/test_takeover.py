"""Replicas on one PostgreSQL: `kill -9` of the replica running 10 agent interactions, and the
other takes every one over and completes it, with no step stored twice and no tool call run twice.

The dead replica's leases lapse (`replica_dead_after_s`, 10 s by default); the live one claims each
interaction, binds its environment's channel socket again in the shared `data_dir/run`, and the
runner in the still-running sandbox reconnects to it by itself. The ledger in each workspace
(`tests/support/agent_ledger.py`) shows that no call ran twice and none was lost.
"""

from __future__ import annotations

import re
import signal
import time

import pytest

from tests.integration.replicas.conftest import Pair
from tests.support.agent_ledger import check_ledger, create, script, wait_all
from tests.support.restartable import Server

AGENTS = 10
BOUND_S = 240
"""Every interaction completes on the live replica within this long after the kill (a generous
bound for a busy 2-core machine; the measured takeover is printed)."""


def _steps(server: Server, ids: list[str]) -> dict[str, int]:
    with server.client() as client:
        return {i: len(client.get(f"/interactions/{i}").json()["steps"]) for i in ids}


@pytest.mark.timeout(600)
def test_kill_9_of_a_replica_and_the_other_completes_its_agents(replicas: Pair) -> None:
    a, b = replicas()
    model = script(a.data_dir, sleep_s=3)  # 5 turns of `echo tK >> ledger.txt; sleep 3`
    a.start()
    b.start()
    with a.client() as client:
        ids = [create(client, model) for _ in range(AGENTS)]
    assert all(ids), "every create answered"
    running = [str(i) for i in ids]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # every one has a tool running in its sandbox
        with a.client() as client:
            got = [client.get(f"/interactions/{i}").json() for i in running]
        if all(any(s["type"] == "code_execution_call" for s in g["steps"]) for g in got):
            break
        time.sleep(0.2)
    assert all(g["status"] == "in_progress" for g in got), "all still running on a when it dies"
    before = _steps(b, running)
    a.signal(signal.SIGKILL)
    killed = time.monotonic()
    moving: dict[str, float] = {}
    while len(moving) < AGENTS and time.monotonic() < killed + BOUND_S:
        now = _steps(b, running)
        moving.update(
            {i: time.monotonic() - killed for i in running if i not in moving and now[i] > before[i]}
        )
        time.sleep(0.2)
    with b.client() as client:
        done = wait_all(client, running, timeout_s=BOUND_S)
        completed = time.monotonic() - killed
        for interaction_id in running:
            check_ledger(client, done[interaction_id])
    resumed = sum(int(n) for n in re.findall(r"(\d+) interactions resumed", b.log()))
    assert resumed == AGENTS, f"b took over each once: {resumed}\n{b.log_tail()}"
    print(
        f"\ntakeover: first step on b {min(moving.values()):.1f} s after the kill, all {AGENTS} moving "
        f"by {max(moving.values()):.1f} s, all completed by {completed:.1f} s"
    )
