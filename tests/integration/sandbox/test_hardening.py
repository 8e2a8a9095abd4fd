"""The hardening profile, observed from inside a default sandbox (SECURITY-CHECKLIST.md rows)."""

from __future__ import annotations

import asyncio
import subprocess
import time

import pytest

from orchestrator.sandbox import DockerBackend, ExecRequest, Limits, Mount, SandboxError, SandboxSpec
from tests.conftest import SandboxFactory

pytestmark = pytest.mark.integration


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
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory()
    code, out = await run(backend, info.id, "mount -t tmpfs none /mnt")
    assert code != 0 and ("permission denied" in out.lower() or "must be superuser" in out.lower())
    code, _ = await run(backend, info.id, "unshare -r true")
    assert code != 0, "user namespaces are refused (seccomp / no capabilities)"


async def test_root_filesystem_is_read_only(backend: DockerBackend, sandbox_factory: SandboxFactory) -> None:
    info = await sandbox_factory()
    code, out = await run(backend, info.id, "touch /usr/bin/evil")
    assert code != 0 and "Read-only file system" in out
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
    _, out = await run(backend, info.id, "ls /sys/class/net; ip route; ip -6 route")
    assert out.split() == ["lo"], "only loopback exists and there is no route at all"
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
    assert (tcp, udp, dns) == ("ENETUNREACH", "ENETUNREACH", "no-dns")
    assert float(elapsed) < 1.0, "failures are immediate, not timeouts"


async def test_fork_bomb_ends_and_host_stays_responsive(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory(limits=Limits(pids=64))
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
    stats = await backend.stats(info.id)
    assert stats.pids <= 64
    _, out = await run(backend, info.id, "ps -e --no-headers | wc -l")
    assert int(out.strip()) < 10, "the bomb's processes are gone after its deadline"


async def test_memory_bomb_is_killed_as_out_of_memory(
    backend: DockerBackend, sandbox_factory: SandboxFactory
) -> None:
    info = await sandbox_factory(limits=Limits(memory_mb=128))
    result = await backend.exec(
        ExecRequest(
            sandbox_id=info.id, cmd=("python3", "-c", "x = bytearray(512 * 1024 * 1024); print(len(x))")
        )
    )
    assert result.exit_code == 137, "killed by SIGKILL from the OOM killer"
    assert result.oom_killed and not result.timed_out
    assert await backend.oom_kills(info.id) == 1
    healthy = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=("true",)))
    assert healthy.exit_code == 0 and not healthy.oom_killed, "the sandbox itself survives"


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
