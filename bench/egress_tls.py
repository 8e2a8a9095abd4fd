"""Added latency of an intercepted HTTPS request against a tunnelled one (issue 17, item 1).

The egress proxy (`EgressProxy.from_settings`: real store, the Warren CA in a temporary data folder)
serves one environment's socket on uvloop, as `warren serve` does, beside an HTTPS listener on
127.0.0.1 with a certificate from a throwaway CA that `SSL_CERT_FILE` makes the proxy trust. A child
process (its own CPU, like a sandbox's client) makes each request on a new connection, as the
proxy's one request per intercepted connection has a client do: `CONNECT`, a TLS handshake, `GET`,
the whole answer. Tunnelled: an allowlist entry without credential, so the client's TLS reaches the
listener. Intercepted: an entry with a bearer credential, so the proxy terminates TLS with a leaf
of the Warren CA (cached after the first request), opens its own verified TLS connection upstream
and injects the token. The two kinds alternate request by request, so drift hits both alike;
the first request of each (leaf minting, cold caches) is left out.

Usage: python -m bench.egress_tls [--requests N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import latency_row, run_like_server, summary
from orchestrator.config import Settings
from orchestrator.egress import EgressProxy
from orchestrator.egress.ca import BUNDLE_NAME
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.egress.listener import listening
from tests.unit.egress.tls import TestCA

TUNNELLED, INTERCEPTED = "plain.warren.test", "api.warren.test"


def _one(sock_path: str, host: str, port: int, context: ssl.SSLContext) -> float:
    """One request on a new connection through the proxy; its wall time in seconds."""
    started = time.perf_counter()
    with socket.socket(socket.AF_UNIX) as raw:
        raw.connect(sock_path)
        raw.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += raw.recv(1)
        assert head.startswith(b"HTTP/1.1 200"), head
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
    assert b"hello from" in answer, answer[:200]
    return time.perf_counter() - started


def _client(
    sock_path: str, ports: dict[str, int], trust: dict[str, str], requests: int
) -> dict[str, list[float]]:
    """Alternate tunnelled and intercepted requests; the samples of each (child process)."""
    contexts = {host: ssl.create_default_context(cafile=path) for host, path in trust.items()}
    samples: dict[str, list[float]] = {TUNNELLED: [], INTERCEPTED: []}
    for index in range(requests + 1):
        for host in (TUNNELLED, INTERCEPTED) if index % 2 else (INTERCEPTED, TUNNELLED):
            took = _one(sock_path, host, ports[host], contexts[host])
            if index:
                samples[host].append(took)
    return samples


async def _measure(folder: Path, requests: int) -> dict[str, Any]:
    upstream_ca = TestCA()
    os.environ["SSL_CERT_FILE"] = str(upstream_ca.write(folder / "host-store.pem"))
    async with (
        await Store.open(f"sqlite+aiosqlite:///{folder / 'w.db'}") as store,
        listening("tunnelled", upstream_ca.server_context(TUNNELLED)) as plain,
        listening("intercepted", upstream_ca.server_context(INTERCEPTED)) as secure,
    ):
        await store.credentials.create("bench", "api", "bearer_token", "bench-token", {})
        entries = [
            {"domain": f"{TUNNELLED}:{plain.port}"},
            {"domain": f"{INTERCEPTED}:{secure.port}", "credential": "api"},
        ]
        spec = EnvironmentSpec.model_validate({"network": {"allowlist": entries}})
        await store.environments.create("bench", "env_bench", spec)
        settings = Settings(
            data_dir=folder / "data",
            egress_allow_addresses=["127.0.0.1:*"],
            egress_hosts={TUNNELLED: "127.0.0.1", INTERCEPTED: "127.0.0.1"},
        )
        proxy = EgressProxy.from_settings(store, settings)
        (folder / "env").mkdir()
        await proxy.serve("env_bench", folder / "env")
        ports = {TUNNELLED: plain.port, INTERCEPTED: secure.port}
        trust = {
            TUNNELLED: str(folder / "host-store.pem"),
            INTERCEPTED: str(settings.data_dir / "trust" / BUNDLE_NAME),
        }
        loop = asyncio.get_running_loop()
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            samples = await loop.run_in_executor(
                None, pool.apply, _client, (str(folder / "env" / "egress.sock"), ports, trust, requests)
            )
        await proxy.close_all()
    assert all("Authorization: Bearer bench-token" in head for head in secure.heads)
    return {"tunnelled": summary(samples[TUNNELLED]), "intercepted": summary(samples[INTERCEPTED])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wbt") as folder:
        results = run_like_server(_measure(Path(folder), args.requests))
    tunnelled, intercepted = results["tunnelled"], results["intercepted"]
    added = round(intercepted["p50_ms"] - tunnelled["p50_ms"], 2)
    results["added_p50_ms"] = added
    rows = [
        latency_row(
            "egress: HTTPS request to a host without credential, tunnelled (new connection: CONNECT, "
            "the client's TLS with the upstream, GET, whole answer)",
            tunnelled,
        ),
        latency_row(
            "egress: the same to a host with a credential, intercepted (TLS terminated with a cached "
            f"Warren CA leaf, verified TLS upstream, token injected): p50 {added} ms over the tunnel",
            intercepted,
        ),
    ]
    machine = {"cpus": os.cpu_count()}
    print(
        json.dumps(
            {"benchmark": "egress_tls", "machine": machine, "results": results, "rows": rows}, indent=2
        )
    )


if __name__ == "__main__":
    main()
