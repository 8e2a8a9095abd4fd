"""Egress policy, proved from inside real sandboxes (SECURITY-CHECKLIST "Egress exfiltration", "Cloud
metadata theft", "Cross-sandbox traffic", "DNS exfiltration", "Secrets leaked to code"; issue 7).

Traffic goes only to listeners this test starts on 127.0.0.1, which the operator setting
`egress_allow_addresses` opens for the test (`127.0.0.1:*`: the listeners take free ports);
`egress_hosts` names them `allowed.warren.test` and `unlisted.warren.test` for the proxy (the
sandbox has no resolver). Blocks are proved by the proxy's own decision (403, `X-Warren-Egress`
reason, the log line with the environment id) with the stand-in listener seeing no connection, and
by the missing route inside the sandbox; nothing is ever sent to 169.254.169.254, private ranges
or public addresses.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Settings
from orchestrator.interactions.agent_run import SandboxAgentRunner
from orchestrator.sandbox import ExecRequest
from tests.support.loopback import LIST_RUN_WARREN, LOOPBACK_ONLY, UNREACHABLE, assert_loopback_only
from tests.unit.api_app.conftest import App, start_app
from tests.unit.egress.listener import Listener, listening

pytestmark = [pytest.mark.security, pytest.mark.integration]

V = "/v1beta"
TENANT = "tenant-a"
SECRET = "wsk-3c7e9b1f-only-in-the-orchestrator"
NO_ROUTE_PROBE = r"""
import errno, socket, time
started = time.monotonic()
results = []
for kind, addr in [(socket.SOCK_STREAM, ("192.0.2.1", 80)), (socket.SOCK_DGRAM, ("192.0.2.1", 53))]:
    s = socket.socket(socket.AF_INET, kind)
    try:
        (s.connect if kind == socket.SOCK_STREAM else lambda a: s.sendto(b"x", a))(addr)
        results.append("open")
    except OSError as exc:
        results.append(errno.errorcode[exc.errno])
try:
    socket.getaddrinfo("allowed.warren.test", 80)
    results.append("resolved")
except OSError:
    results.append("no-dns")
print(" ".join(results), round(time.monotonic() - started, 2))
"""
"""TCP and UDP to a documentation address (TEST-NET-1) and a DNS lookup: with no interface but
loopback, each fails inside the sandbox's own kernel stack, before any packet could exist."""
SECRET_PROBE = """
import base64, os, subprocess
secret = base64.b64decode("{encoded}")
hits = []
if secret in b"".join(k + b"=" + v for k, v in os.environb.items()):
    hits.append("env")
if secret in subprocess.run(["ps", "auxwwe"], capture_output=True).stdout:
    hits.append("ps")
for pid in filter(str.isdigit, os.listdir("/proc")):
    for name in ("environ", "cmdline"):
        try:
            if secret in open(f"/proc/{{pid}}/{{name}}", "rb").read():
                hits.append(f"/proc/{{pid}}/{{name}}")
        except OSError:
            pass
for root in ("/workspace", "/tmp", "/home", "/run", "/etc", "/opt/warren", "/skills", "/var"):
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                if secret in open(os.path.join(folder, name), "rb").read():
                    hits.append(os.path.join(folder, name))
            except OSError:
                pass
print("hits:", hits)
"""
"""Looks for a base64-given secret in the environment, `ps`, every /proc environ and cmdline, and the
files of the usual folders; prints `hits: [...]` (`.format(encoded=...)`)."""


@pytest.fixture
async def upstream() -> AsyncIterator[Listener]:
    """The stand-in service the allowlist names."""
    async with listening("allowed") as listener:
        yield listener


@pytest.fixture
async def other() -> AsyncIterator[Listener]:
    """A second listener on the same host, on a port the allowlist does not name."""
    async with listening("other-port") as listener:
        yield listener


@pytest.fixture
async def egress_api(sandbox_image: str) -> AsyncIterator[App]:
    """The app with real sandboxes; the operator allows 127.0.0.1 (only) for the test's listeners."""
    short = Path(tempfile.mkdtemp(prefix="weg", dir="/tmp"))  # Unix socket paths must stay short
    settings = Settings(
        data_dir=short / "data",
        sandboxes=True,
        sandbox_image=sandbox_image,
        egress_allow_addresses=["127.0.0.1:*"],
        egress_hosts={
            "allowed.warren.test": "127.0.0.1",
            "unlisted.warren.test": "127.0.0.1",
            "metadata.warren.test": "169.254.169.254",  # listed below, refused by the address rule
        },
    )
    async for started in start_app(settings):
        try:
            yield started
        finally:
            listed = (await started.a.get(f"{V}/environments")).json().get("environments", [])
            for env in listed:
                await started.a.delete(f"{V}/environments/{env['id']}")
            shutil.rmtree(short, ignore_errors=True)


async def _sandbox(api: App, network: Any) -> tuple[str, str]:
    """Create an environment with `network`, serve its sockets and start its sandbox (runner inside)."""
    made = await api.a.post(f"{V}/environments", json={"network": network})
    assert made.status_code == 200, made.text
    return await _started(api, made.json()["id"])


async def _started(api: App, env_id: str) -> tuple[str, str]:
    """Serve the environment's sockets and start its sandbox (runner inside)."""
    runner = api.services.interactions.agent_runner
    assert isinstance(runner, SandboxAgentRunner)
    await runner._channel(TENANT, env_id)  # what an interaction does before it starts the sandbox
    environments = api.services.environments
    assert environments is not None
    return env_id, await environments.sandbox(TENANT, env_id)


async def _run(api: App, sandbox_id: str, script: str, timeout_s: float = 30) -> tuple[int | None, str]:
    environments = api.services.environments
    assert environments is not None
    result = await environments.backend.exec(
        ExecRequest(sandbox_id=sandbox_id, cmd=("bash", "-c", script), timeout_s=timeout_s)
    )
    return result.exit_code, (result.stdout + result.stderr).decode(errors="replace")


async def _curl(api: App, sandbox_id: str, url: str, *extra: str) -> str:
    """`curl -si` through HTTP_PROXY (the sandbox's environment), retried until the forwarder listens."""
    args = " ".join(extra)
    deadline = time.monotonic() + 30
    while True:
        _, out = await _run(api, sandbox_id, f"curl -si --max-time 10 {args} '{url}'")
        if "HTTP/1.1" in out or time.monotonic() > deadline:
            return out
        await asyncio.sleep(0.5)  # the runner starts the forwarder as the sandbox boots


def _allowlist(upstream: Listener, **entry: Any) -> dict[str, Any]:
    return {
        "allowlist": [
            {"domain": f"allowed.warren.test:{upstream.port}", **entry},
            {"domain": "metadata.warren.test"},
        ]
    }


async def test_egress_disabled_fails_at_once(egress_api: App) -> None:
    """`disabled`: TCP, UDP and DNS fail at once; no proxy socket and no proxy variables exist."""
    _, sandbox_id = await _sandbox(egress_api, "disabled")
    _, out = await _run(egress_api, sandbox_id, LOOPBACK_ONLY)
    assert_loopback_only(out)
    _, out = await _run(egress_api, sandbox_id, f"python3 -c '{NO_ROUTE_PROBE}'")
    tcp, udp, dns, elapsed = out.split()
    assert tcp in UNREACHABLE and udp in UNREACHABLE and dns == "no-dns", (tcp, udp, dns)
    assert float(elapsed) < 1.0, "failures are immediate, not timeouts"
    _, out = await _run(egress_api, sandbox_id, f"{LIST_RUN_WARREN}; env | grep -ci proxy || true")
    assert out.split() == ["orchestrator.sock", "0"], "no egress socket, no proxy variables"


async def test_egress_allowlist_allows_only_the_listed_name(
    egress_api: App, upstream: Listener, other: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    """The listed name answers through the proxy; everything else is refused before any connect."""
    env_a, sandbox_a = await _sandbox(egress_api, _allowlist(upstream))
    env_b, sandbox_b = await _sandbox(egress_api, _allowlist(upstream))
    with caplog.at_level(logging.INFO, logger="orchestrator.egress"):
        out = await _curl(egress_api, sandbox_a, f"http://allowed.warren.test:{upstream.port}/hi")
        assert "HTTP/1.1 200" in out and "hello from allowed" in out, out
        assert upstream.connections == 1
        assert (
            f"egress env={env_a} allow reason=allowed GET allowed.warren.test:{upstream.port}" in caplog.text
        )

        refused = {
            "not-listed": f"http://unlisted.warren.test:{upstream.port}/",
            "port-not-allowed": f"http://allowed.warren.test:{other.port}/",
            "forbidden-address": "http://metadata.warren.test/latest/meta-data/",
        }
        refused_literal = {
            "ip literal": f"http://127.0.0.1:{upstream.port}/",
            "link-local": "http://169.254.169.254/latest/meta-data/",
            "metadata (alibaba)": "http://100.100.100.200/",
            "second sandbox": f"http://{sandbox_b[:12]}:3128/",
        }
        for reason, url in refused.items():
            out = await _curl(egress_api, sandbox_a, url)
            assert "HTTP/1.1 403" in out and f"X-Warren-Egress: refused; reason={reason}" in out, (url, out)
            assert f"egress env={env_a} refuse reason={reason}" in caplog.text
        for what, url in refused_literal.items():  # `-x`: NO_PROXY would keep 127.0.0.1 in the sandbox
            out = await _curl(egress_api, sandbox_a, url, "-x http://127.0.0.1:3128 --noproxy ''")
            assert "HTTP/1.1 403" in out and "reason=not-listed" in out, (what, out)
        out = await _curl(egress_api, sandbox_a, f"https://unlisted.warren.test:{upstream.port}/")
        assert "HTTP/1.1 403" in out, "CONNECT (https) is decided by name too"
        assert "reason=not-listed CONNECT unlisted.warren.test" in caplog.text
    assert upstream.connections == 1 and other.connections == 0, "no refused request reached a listener"
    runner = egress_api.services.interactions.agent_runner
    assert isinstance(runner, SandboxAgentRunner) and runner.channels.egress is not None
    assert {env for env, _, _ in runner.channels.egress.recent} == {env_a}, "every decision was A's"

    # No way around the proxy: no route, no resolver, and only A's own sockets are mounted.
    _, out = await _run(egress_api, sandbox_a, LOOPBACK_ONLY)
    assert_loopback_only(out)
    _, out = await _run(egress_api, sandbox_a, LIST_RUN_WARREN)
    assert out.split() == ["egress.sock", "orchestrator.sock"]
    _, out = await _run(egress_api, sandbox_a, f"python3 -c '{NO_ROUTE_PROBE}'")
    tcp, udp, dns, elapsed = out.split()
    assert tcp in UNREACHABLE and udp in UNREACHABLE and dns == "no-dns" and float(elapsed) < 1.0
    out = await _curl(egress_api, sandbox_a, f"http://allowed.warren.test:{upstream.port}/", "--noproxy '*'")
    assert "HTTP/1.1" not in out and upstream.connections == 1, "without the proxy the name goes nowhere"
    assert env_b != env_a


async def test_egress_header_transform_keeps_the_secret_out_of_the_sandbox(
    egress_api: App, upstream: Listener
) -> None:
    """The listener sees the credential; the sandbox's environment, files and processes never hold it."""
    made = await egress_api.a.post(
        f"{V}/credentials", json={"type": "bearer_token", "id": "svc", "token": SECRET}
    )
    assert made.status_code == 200 and SECRET not in made.text
    network = _allowlist(upstream, credential="svc", transform={"X-Warren-Test": "transform"})
    _, sandbox_id = await _sandbox(egress_api, network)
    out = await _curl(egress_api, sandbox_id, f"http://allowed.warren.test:{upstream.port}/api")
    assert "HTTP/1.1 200" in out and SECRET not in out
    (head,) = upstream.heads
    assert f"Authorization: Bearer {SECRET}" in head and "X-Warren-Test: transform" in head

    encoded = base64.b64encode(SECRET.encode()).decode()  # the probe's own command line must not hold it
    probe = SECRET_PROBE.format(encoded=encoded)
    _, out = await _run(egress_api, sandbox_id, f"python3 -c '{probe}'", timeout_s=60)
    assert "hits: []" in out, out
