"""The hardening profile, observed from inside a default sandbox (SECURITY-CHECKLIST.md rows)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from pathlib import Path

import pytest
from docker import DockerClient

from orchestrator.sandbox import DockerBackend, ExecRequest, Limits, Mount, SandboxError, SandboxSpec
from orchestrator.sandbox.hardening import GVISOR_HOST_PIDS_BASE, GVISOR_HOST_PIDS_PER_TASK
from orchestrator.sandbox.usage import end_reason
from tests.conftest import SandboxFactory
from tests.support.loopback import LOOPBACK_ONLY, UNREACHABLE, assert_loopback_only

pytestmark = pytest.mark.integration

# Forks `sleep`s (exec'd: small under gVisor too) until a fork is refused; they outlive it.
FORKS_UNTIL_REFUSED = """python3 -c '
import errno, os, sys
while True:
    try:
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "30"])
    except OSError as exc:
        sys.exit(errno.errorcode[exc.errno])
'"""


async def run(
    backend: DockerBackend, sandbox_id: str, script: str, timeout_s: float = 30
) -> tuple[int | None, str]:
    result = await backend.exec(
        ExecRequest(sandbox_id=sandbox_id, cmd=("bash", "-c", script), timeout_s=timeout_s)
    )
    return result.exit_code, (result.stdout + result.stderr).decode()


async def test_runs_as_uid_1000_without_capabilities(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory()
    # prctl, not /proc/self/status: gVisor's status file has no NoNewPrivs or Seccomp line.
    prctl = "import ctypes; c = ctypes.CDLL(None); print(f'NoNewPrivs:\\t{c.prctl(39, 0, 0, 0, 0)}')"
    prctl += "; print(f'Seccomp:\\t{c.prctl(21, 0, 0, 0, 0)}')"
    _, out = await run(
        backend, info.id, f'id -u; grep -E "^(CapEff|CapPrm):" /proc/self/status; python3 -c "{prctl}"'
    )
    lines = dict(line.split(":\t") if ":\t" in line else ("uid", line) for line in out.strip().splitlines())
    assert lines["uid"] == "1000"
    assert lines["CapEff"] == "0000000000000000"
    assert lines["CapPrm"] == "0000000000000000"
    assert lines["NoNewPrivs"] == "1"
    if sandbox_runtime == "runc":  # under gVisor the sentry, itself seccomp-confined on the host, is the
        # kernel (runsc runs without `--oci-seccomp`: see scripts/ensure-engine.sh)
        assert lines["Seccomp"] == "2", "the default seccomp profile is in force (filter mode)"


async def test_privilege_escalation_and_mounts_fail(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory()
    code, out = await run(backend, info.id, "mount -t tmpfs none /mnt")
    assert code != 0 and ("permission denied" in out.lower() or "must be superuser" in out.lower())
    if sandbox_runtime == "runc":
        code, _ = await run(backend, info.id, "unshare -r true")
        assert code != 0, "user namespaces are refused (seccomp / no capabilities)"
        return
    # gVisor makes the namespace inside its own kernel: root there is uid 1000 mapped, nothing on the
    # host. What matters: the host sees no new namespace and no new user among the sandbox's processes.
    before = await asyncio.to_thread(host_identities, info.id)
    nested = asyncio.create_task(run(backend, info.id, "unshare -r sh -c 'cat /proc/self/uid_map; sleep 3'"))
    await asyncio.sleep(1.5)
    during = await asyncio.to_thread(host_identities, info.id)
    code, out = await nested
    assert code == 0 and out.split() == ["0", "1000", "1"], "namespaced root is the sandbox user"
    assert during == before, "no host user namespace or host uid appeared"
    code, out = await run(
        backend, info.id, "unshare -r touch /usr/bin/evil; unshare -r mount -t tmpfs none /usr"
    )
    assert code != 0, "namespaced root cannot write the image or mount over it"


def host_identities(sandbox_id: str) -> set[tuple[str, str]]:
    """(user namespace, uid) of every host process in the sandbox's cgroup (cgroup v1, cgroupfs)."""
    procs = Path(f"/sys/fs/cgroup/pids/docker/{sandbox_id}/cgroup.procs").read_text().split()
    assert procs, "the sandbox's host processes are listed"
    found = set()
    for pid in procs:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            uid = next(
                line.split()[1]
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("Uid:")
            )
            found.add((os.readlink(f"/proc/{pid}/ns/user"), uid))
    return found


async def test_root_filesystem_is_read_only(backend: DockerBackend, sandbox_factory: SandboxFactory) -> None:
    """The root is mounted read-only under both runtimes; a write fails (runc answers EROFS first,
    gVisor checks permissions first and answers EACCES: either way nothing is written)."""
    info = await sandbox_factory()
    _, mounts = await run(backend, info.id, "cat /proc/mounts")
    root = next(line.split() for line in mounts.splitlines() if line.split()[1] == "/")
    assert "ro" in root[3].split(","), f"the root file system is mounted read-only: {root}"
    code, out = await run(backend, info.id, "touch /usr/bin/evil /evil")
    assert code != 0 and ("Read-only file system" in out or "Permission denied" in out)
    code, _ = await run(backend, info.id, "test -e /usr/bin/evil || test -e /evil")
    assert code == 1, "nothing was written"
    code, _ = await run(backend, info.id, "touch /workspace/ok /tmp/ok $HOME/ok")
    assert code == 0, "the workspace, /tmp and the home tmpfs stay writable"


async def test_no_docker_socket_inside_and_refused_as_mount(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory()
    code, _ = await run(backend, info.id, "test -e /var/run/docker.sock || test -e /run/docker.sock")
    assert code == 1
    spec = SandboxSpec(
        environment_id="env-sock",
        tenant="t",
        mounts=(Mount(source="/var/run/docker.sock", target="/d.sock"),),
    )
    with pytest.raises(SandboxError, match="Docker socket"):
        await backend.create(spec)


async def test_network_disabled_has_no_route_and_no_dns(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    """Proved by the missing route: connects fail at once and no packet can leave (no interface)."""
    info = await sandbox_factory(network="disabled")
    _, out = await run(backend, info.id, LOOPBACK_ONLY)
    assert_loopback_only(out)
    probe = r"""
import errno, socket, time
started = time.monotonic()
results = []
for family, kind, addr in [(socket.AF_INET, socket.SOCK_STREAM, ("192.0.2.1", 80)),
                           (socket.AF_INET, socket.SOCK_DGRAM, ("192.0.2.1", 53))]:
    s = socket.socket(family, kind)
    try:
        (s.connect if kind == socket.SOCK_STREAM else lambda a: s.sendto(b"x", a))(addr)
        results.append("open")
    except OSError as exc:
        results.append(errno.errorcode[exc.errno])
try:
    socket.getaddrinfo("example.com", 80)
    results.append("resolved")
except OSError:
    results.append("no-dns")
print(" ".join(results), round(time.monotonic() - started, 2))
"""
    _, out = await run(backend, info.id, f"python3 -c '{probe}'")
    tcp, udp, dns, elapsed = out.split()
    assert tcp in UNREACHABLE and udp in UNREACHABLE and dns == "no-dns", (tcp, udp, dns)
    assert float(elapsed) < 1.0, "failures are immediate, not timeouts"


async def test_fork_bomb_ends_and_host_stays_responsive(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    info = await sandbox_factory(limits=Limits(pids=64))
    # Read before the bomb: under gVisor the bomb can end the whole sandbox, and a stopped
    # container's cgroup (the engine's limit) is gone with it.
    task_limit = (await backend.usage(info.id, tasks=True)).task_limit if sandbox_runtime != "runc" else 0
    bomb = asyncio.create_task(run(backend, info.id, "bomb() { bomb | bomb & }; bomb; sleep 30", timeout_s=6))
    await asyncio.sleep(2)
    latencies = []
    for _ in range(5):  # spawning a process on the host is what a fork bomb would starve
        started = time.monotonic()
        await asyncio.to_thread(subprocess.run, ["true"], check=True)
        latencies.append(time.monotonic() - started)
    latency = sorted(latencies)[2]
    assert latency < 1.0, f"host spawned a process in {latency:.2f}s (median) during the bomb"
    await asyncio.wait_for(bomb, timeout=20)
    if sandbox_runtime == "runc":
        assert (await backend.stats(info.id)).pids <= 64
    else:  # gVisor's kernel holds the sandbox user to RLIMIT_NPROC; the engine's limit is the host's guard
        assert task_limit == 64
        assert (await backend.stats(info.id)).pids <= 64 * GVISOR_HOST_PIDS_PER_TASK + GVISOR_HOST_PIDS_BASE
    _, out = await run(backend, info.id, "ps -e --no-headers | wc -l")
    assert int(out.strip()) < 10, "the bomb's processes are gone after its deadline"


async def test_forks_past_the_limit_are_refused_and_the_sandbox_lives_on(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str
) -> None:
    """The fork that would pass the process limit fails (EAGAIN) in the command, not the sandbox; the
    reading names it: the cgroup's refused-fork counter under runc, the tasks at RLIMIT_NPROC under gVisor."""
    info = await sandbox_factory(limits=Limits(pids=48))
    before = await backend.usage(info.id)
    code, out = await run(backend, info.id, FORKS_UNTIL_REFUSED)
    assert code == 1 and "EAGAIN" in out, out
    reason = end_reason(before, await backend.usage(info.id, tasks=True))
    assert reason is not None and reason[0] == "process_limit", reason
    await run(backend, info.id, "pkill -9 -f '^sleep 30'")
    healthy = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("true",)))
    assert healthy.exit_code == 0, "the sandbox itself survives"


async def test_memory_bomb_is_killed_as_out_of_memory(
    backend: DockerBackend, sandbox_factory: SandboxFactory, sandbox_runtime: str, docker_client: DockerClient
) -> None:
    info = await sandbox_factory(limits=Limits(memory_mb=128))
    result = await backend.exec(
        ExecRequest(
            sandbox_id=info.id, cmd=("python3", "-c", "x = bytearray(512 * 1024 * 1024); print(len(x))")
        )
    )
    assert result.exit_code == 137, "killed by SIGKILL from the OOM killer"
    assert result.oom_killed and not result.timed_out
    if sandbox_runtime == "runc":
        assert await backend.oom_kills(info.id) == 1
        healthy = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("true",)))
        assert healthy.exit_code == 0 and not healthy.oom_killed, "the sandbox itself survives"
        return
    # gVisor: the limit covers the sandbox's kernel, so the whole sandbox ends (and says so)
    state = docker_client.api.inspect_container(info.id)["State"]
    assert (state["Running"], state["OOMKilled"]) == (False, True)
    ended = await backend.usage(info.id)
    assert ended.sandbox_oom_killed and ended.peak_memory_bytes == 128 << 20


async def test_exec_timeout_kills_every_process_it_started(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory()
    started = time.monotonic()
    result = await backend.exec(
        ExecRequest(
            sandbox_id=info.id,
            cmd=("bash", "-c", "sleep 101 & setsid sleep 102 & nohup sleep 103 >/dev/null 2>&1 & sleep 104"),
            timeout_s=1.5,
        )
    )
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - started < 5
    _, out = await run(backend, info.id, "ps -eo args --no-headers")
    assert "sleep 10" not in out, f"processes survived the timeout:\n{out}"
