"""`parse_usage` reads the sandbox's counters strictly; `end_reason` names why a command died."""

from __future__ import annotations

from orchestrator.sandbox.usage import SandboxUsage, end_reason, parse_usage, with_engine_stats

V1 = (
    b"cpu_ns 21681870\npeak_memory_bytes 4038656\noom_kills 2\npids_refused 0\n"
    b"workspace_blocks 1000\nworkspace_free_blocks 250\nblock_size 4096\n"
)
FREE = SandboxUsage(workspace_bytes=10 << 30, workspace_free_bytes=5 << 30)


def test_a_cgroup_v1_reading_parses_into_bytes_and_nanoseconds() -> None:
    reading = parse_usage(V1)
    assert reading == SandboxUsage(
        cpu_ns=21681870,
        peak_memory_bytes=4038656,
        oom_kills=2,
        workspace_bytes=750 * 4096,
        workspace_free_bytes=250 * 4096,
    )


def test_cgroup_v2_microseconds_become_nanoseconds() -> None:
    assert parse_usage(b"cpu_us 1500\n").cpu_ns == 1_500_000


def test_hostile_or_malformed_lines_are_skipped_and_the_first_value_wins() -> None:
    junk = b"cpu_ns -5\ncpu_ns 1e9\nevil 7\noom_kills 99999999999999999999999\noom_kills 1\noom_kills 3\n"
    assert parse_usage(junk) == SandboxUsage(oom_kills=1)
    assert parse_usage(b"\xff\xfe garbage") == SandboxUsage()


def test_the_engine_stats_give_cpu_and_the_larger_peak() -> None:
    raw = {"cpu_stats": {"cpu_usage": {"total_usage": 7}}, "memory_stats": {"max_usage": 10, "usage": 3}}
    assert with_engine_stats(SandboxUsage(cpu_ns=1, peak_memory_bytes=20), raw).model_dump() == {
        **SandboxUsage().model_dump(),
        "cpu_ns": 7,
        "peak_memory_bytes": 20,
    }
    assert with_engine_stats(SandboxUsage(cpu_ns=5), {}).cpu_ns == 5


def code(after: SandboxUsage) -> str | None:
    reason = end_reason(FREE, after)
    return None if reason is None else reason[0]


def test_each_moved_counter_names_its_reason() -> None:
    assert end_reason(FREE, FREE) is None
    oom = FREE.model_copy(update={"oom_kills": 1})
    assert code(oom) == "out_of_memory"
    forks = FREE.model_copy(update={"pids_refused": 4})
    assert end_reason(FREE, forks) == (
        "process_limit",
        "a command in the sandbox hit the sandbox's process limit",
    )
    full = FREE.model_copy(update={"workspace_free_bytes": 1 << 20})
    assert code(full) == "disk_full"
    assert end_reason(oom, FREE) is None  # a restarted sandbox's counters start again


def test_an_unreadable_workspace_is_never_full() -> None:
    assert end_reason(SandboxUsage(), SandboxUsage()) is None


def test_gvisor_tasks_at_the_nproc_limit_name_the_process_limit() -> None:
    """gVisor's process limit is RLIMIT_NPROC: its tasks filling the limit after a command is the sign."""
    assert parse_usage(b"tasks 511\ntask_limit 512\n").model_dump(include={"tasks", "task_limit"}) == {
        "tasks": 511,
        "task_limit": 512,
    }
    assert parse_usage(b"tasks 3\ntask_limit unlimited\n").task_limit == 0  # runc: no RLIMIT_NPROC
    at = FREE.model_copy(update={"tasks": 62, "task_limit": 64})
    assert end_reason(FREE, at) == (
        "process_limit",
        "a command in the sandbox hit the sandbox's process limit",
    )
    assert end_reason(FREE, at.model_copy(update={"tasks": 40})) is None
    assert end_reason(FREE, FREE.model_copy(update={"tasks": 9})) is None  # no limit read: never


def test_a_sandbox_the_oom_killer_ended_is_out_of_memory() -> None:
    """Under gVisor the memory limit covers the sandbox's kernel: the engine's OOMKilled says so."""
    ended = SandboxUsage(sandbox_oom_killed=True)
    assert end_reason(FREE, ended) == (
        "out_of_memory",
        "the sandbox was killed for using more memory than its limit",
    )
    assert end_reason(ended, ended) is None
    assert end_reason(FREE, SandboxUsage()) is None  # stopped, not OOM-killed
