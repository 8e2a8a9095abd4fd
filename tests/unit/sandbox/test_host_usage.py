"""`host_usage` reads a sandbox's counters from its host cgroup folder and workspace file system, and
answers None (the caller then asks inside the sandbox) where the layout is not there."""

from __future__ import annotations

from pathlib import Path

from orchestrator.sandbox.host_usage import host_usage

ID = "a" * 64


def _cgroup(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name.replace("ID", ID)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_reads_every_counter_and_the_workspace(tmp_path: Path) -> None:
    _cgroup(
        tmp_path,
        {
            "cpuacct/docker/ID/cpuacct.usage": "2500000000\n",
            "memory/docker/ID/memory.max_usage_in_bytes": "43556864\n",
            "memory/docker/ID/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
            "pids/docker/ID/pids.events": "max 7\n",
        },
    )
    found = host_usage(ID, str(tmp_path), root=tmp_path)
    assert found is not None
    assert (found.cpu_ns, found.peak_memory_bytes, found.oom_kills, found.pids_refused) == (
        2_500_000_000,
        43_556_864,
        3,
        7,
    )
    assert found.workspace_bytes > 0 and found.workspace_free_bytes > 0


def test_absent_or_malformed_layouts_answer_none(tmp_path: Path) -> None:
    assert host_usage(ID, None, root=tmp_path) is None  # no cgroup folder (gVisor, remote engine)
    assert host_usage("../../etc", None, root=tmp_path) is None  # never a path from an id
    assert host_usage(ID[:12], None, root=tmp_path) is None  # only a full id names a folder
    _cgroup(
        tmp_path,
        {"cpuacct/docker/ID/cpuacct.usage": "-1\n", "memory/docker/ID/memory.max_usage_in_bytes": "9"},
    )
    assert host_usage(ID, None, root=tmp_path) is None  # a value that is not a count


def test_missing_event_files_count_zero(tmp_path: Path) -> None:
    _cgroup(
        tmp_path, {"cpuacct/docker/ID/cpuacct.usage": "1", "memory/docker/ID/memory.max_usage_in_bytes": "2"}
    )
    found = host_usage(ID, str(tmp_path / "gone"), root=tmp_path)
    assert found is not None and (found.oom_kills, found.pids_refused, found.workspace_bytes) == (0, 0, 0)
