"""API throughput benchmark: foreground `scripted:echo` interactions through the real HTTP stack.

The server is Warren's own app (`compose.build_app`, a fresh SQLite file, no sandboxes) served by uvicorn on
a free 127.0.0.1 port inside this process, on the event loop and HTTP parser `warren serve` uses
(uvloop, httptools) and with its garbage-collector settings (`orchestrator.server_gc`). The clients
run in one child process and talk to it over the loopback socket, so their CPU does not share the
server's interpreter (on a 2-core machine the server gets one core, as it would with remote clients)
and HTTP parsing, auth and JSON are measured.

Measures:
  throughput   --rounds rounds of --count foreground creates from --concurrency clients at once; every
               answer must be `completed`; interactions created and completed per second, the median
               round (every round's rate is kept in `rounds_per_s`)
  create_get   --pairs sequential create (foreground) + get of the same interaction, one at a time:
               p50/p95 latency of the pair
  observability  the same load again with the metrics off (`WARREN_METRICS=off`: every point a no-op),
               and again with OpenTelemetry traces exported over OTLP/HTTP (to a loopback sink) and
               `/metrics` scraped once a second: the cost of each against the default (`--no-observe`
               skips both)

The default load generator (`--client lean`) speaks plain HTTP/1.1 over keep-alive sockets: httpx
spends more CPU per request than the server does, so with it the client's core saturates first and
the figure measures httpx (`--client httpx` still runs it, for comparison). Both report CPU per
interaction: `server_cpu_ms_per_interaction` (this process) and the client's.

Usage: python -m bench.api [--count N] [--rounds R] [--concurrency C] [--pairs P]
                           [--client lean|httpx]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import platform
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench.stats import run_like_server, summary
from orchestrator.api.deps import Services
from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.observability import tracing
from orchestrator.server_gc import tune_for_serving

MODEL = "scripted:echo"
TIME_LIMIT_S = 300.0
"""No phase of the load runs longer than this; the client gives up and reports what it saw."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _HttpError(Exception):
    """A request that failed: no answer, or an answer that is not 200."""


class _Client:
    """The load generator's HTTP client: JSON in and out over keep-alive connections."""

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one request; the JSON answer of a 200, else `_HttpError`."""
        raise NotImplementedError

    async def close(self) -> None:
        """Close the connections."""


class _HttpxClient(_Client):
    """httpx's `AsyncClient`: a real client library, but it costs the load generator more CPU per
    request than the server spends, so on a 2-core machine it measures itself (use `--client lean`)."""

    def __init__(self, base_url: str, key: str, concurrency: int) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        headers = {"x-goog-api-key": key}
        self._client = httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60)

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = await self._client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise _HttpError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise _HttpError(f"{response.status_code}: {response.text[:300]}")
        answer: dict[str, Any] = response.json()
        return answer

    async def close(self) -> None:
        await self._client.aclose()


class _LeanClient(_Client):
    """Plain HTTP/1.1 over asyncio streams, one request at a time per keep-alive connection.

    A load generator in the manner of wrk: it speaks just enough HTTP (Content-Length or chunked
    answers) to cost little CPU, so the server, not the client, is what runs out of CPU.
    """

    def __init__(self, base_url: str, key: str, concurrency: int) -> None:
        host_port = base_url.removeprefix("http://")
        self._host, _, port = host_port.partition(":")
        self._port = int(port)
        self._head = f"Host: {host_port}\r\nx-goog-api-key: {key}\r\n"
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        conn = self._idle.pop() if self._idle else await asyncio.open_connection(self._host, self._port)
        reader, writer = conn
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self._head}"
        if body is not None:
            head += f"content-type: application/json\r\ncontent-length: {len(payload)}\r\n"
        try:
            writer.write(head.encode() + b"\r\n" + payload)
            status, answer, keep = await asyncio.wait_for(self._answer(reader), 60)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            writer.close()
            raise _HttpError(f"{type(exc).__name__}: {exc}") from exc
        if keep:
            self._idle.append(conn)
        else:
            writer.close()
        if status != 200:
            raise _HttpError(f"{status}: {answer[:300]!r}")
        parsed: dict[str, Any] = json.loads(answer)
        return parsed

    @staticmethod
    async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            answer = await reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                chunks.append((await reader.readexactly(size + 2))[:-2])
            await reader.readuntil(b"\r\n")
            answer = b"".join(chunks)
        return status, answer, headers.get("connection") != "close"

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


CLIENTS: dict[str, type[_Client]] = {"lean": _LeanClient, "httpx": _HttpxClient}


async def _create(client: _Client, n: int) -> dict[str, Any]:
    return await client.request("POST", "/v1beta/interactions", {"model": MODEL, "input": f"ping {n}"})


async def _throughput(client: _Client, count: int, concurrency: int) -> dict[str, Any]:
    todo = iter(range(count))
    done = failed = 0
    errors: list[str] = []
    deadline = time.monotonic() + TIME_LIMIT_S

    async def worker() -> None:
        nonlocal done, failed
        for n in todo:
            if time.monotonic() > deadline:
                return
            try:
                body = await _create(client, n)
            except _HttpError as exc:
                failed += 1
                if len(errors) < 5:
                    errors.append(str(exc))
                continue
            ok = body.get("status") == "completed" and body["steps"][-1]["content"][0]["text"] == f"ping {n}"
            if ok:
                done += 1
            else:
                failed += 1
                if len(errors) < 5:
                    errors.append(json.dumps(body)[:300])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "count": count,
        "concurrency": concurrency,
        "completed": done,
        "failed": failed,
        "elapsed_s": round(elapsed, 3),
        "interactions_per_s": round(done / elapsed, 1),
        **({"errors": errors} if errors else {}),
    }


async def _create_get(client: _Client, pairs: int) -> dict[str, Any]:
    samples = []
    deadline = time.monotonic() + TIME_LIMIT_S
    for n in range(pairs):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        made = await _create(client, n)
        got = await client.request("GET", f"/v1beta/interactions/{made['id']}")
        samples.append(time.perf_counter() - started)
        assert got["status"] == "completed", got
    return summary(samples)


async def _load(
    base_url: str, key: str, count: int, concurrency: int, pairs: int, client_kind: str, rounds: int
) -> dict[str, Any]:
    client = CLIENTS[client_kind](base_url, key, concurrency)
    try:
        await _throughput(client, min(50, count), min(8, concurrency))  # warm-up: imports, pools, caches
        cpu = time.process_time()
        runs = [await _throughput(client, count, concurrency) for _ in range(rounds)]
        throughput = _median_round(runs)
        throughput["client_cpu_ms_per_interaction"] = round(
            1000 * (time.process_time() - cpu) / max(1, count * rounds), 2
        )
        latency = await _create_get(client, pairs)
    finally:
        await client.close()
    return {"throughput": throughput, "create_get": latency}


def _median_round(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median rate, plus every round's rate: one short run is at the mercy of
    whatever else the machine did in those seconds."""
    ordered = sorted(runs, key=lambda run: float(run["interactions_per_s"]))
    middle = dict(ordered[len(ordered) // 2])
    middle["rounds"] = len(runs)
    middle["rounds_per_s"] = [run["interactions_per_s"] for run in runs]
    middle["completed_all"] = sum(int(run["completed"]) for run in runs)
    middle["failed_all"] = sum(int(run["failed"]) for run in runs)
    return middle


def _client_process(
    base_url: str, key: str, count: int, concurrency: int, pairs: int, client_kind: str, rounds: int
) -> dict[str, Any]:
    """The load generator's entry point in the child process."""
    return asyncio.run(_load(base_url, key, count, concurrency, pairs, client_kind, rounds))


async def _scrape(base_url: str, every_s: float) -> None:
    async with httpx.AsyncClient() as client:
        while True:
            await asyncio.sleep(every_s)
            (await client.get(f"{base_url}/metrics")).raise_for_status()


@contextlib.contextmanager
def _otlp_sink() -> Iterator[str]:
    """A loopback OTLP/HTTP endpoint that accepts and drops every export."""

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sink.server_address[1]}"
    finally:
        sink.shutdown()


async def _measure(
    count: int,
    concurrency: int,
    pairs: int,
    client_kind: str,
    rounds: int,
    scrape_s: float = 0.0,
    metrics_on: bool = True,
) -> dict[str, Any]:
    """One server, one load; with `scrape_s`, `/metrics` is read that often meanwhile."""
    with tempfile.TemporaryDirectory(prefix="warren-bench-") as tmp:
        settings = Settings(  # rate_limit_per_s=0: measure, not throttle
            data_dir=Path(tmp), sandboxes=False, rate_limit_per_s=0, metrics=metrics_on
        )
        port = _free_port()
        app = build_app(settings)
        tune_for_serving()  # as `warren serve` does
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        try:
            services: Services = server.config.loaded_app.app.state.services  # type: ignore[attr-defined]
            _, key = await services.store.keys.create_key("bench", "bench")
            cpu_before = time.process_time()
            scraper = asyncio.create_task(_scrape(f"http://127.0.0.1:{port}", scrape_s)) if scrape_s else None
            base_url = f"http://127.0.0.1:{port}"
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                results = await asyncio.get_running_loop().run_in_executor(
                    pool,
                    _client_process,
                    base_url,
                    key,
                    count,
                    concurrency,
                    pairs,
                    client_kind,
                    rounds,
                )
            throughput = results["throughput"]
            served = min(50, count) + throughput["completed_all"] + results["create_get"]["n"]
            # This process's CPU (the server; the clients run in a child) per interaction: a steadier
            # figure than the rates when other work shares the machine. Gets and warm-up included.
            results["server_cpu_ms_per_interaction"] = round(
                1000 * (time.process_time() - cpu_before) / max(1, served), 2
            )
            if scraper is not None:
                scraper.cancel()
        finally:
            server.should_exit = True
            await serving
    return results


async def main(
    count: int, concurrency: int, pairs: int, client_kind: str = "lean", rounds: int = 5, observe: bool = True
) -> dict[str, Any]:
    results = await _measure(count, concurrency, pairs, client_kind, rounds)
    if observe:  # the same load with metrics off; then with traces exported and /metrics scraped
        bare = await _measure(count, concurrency, pairs, client_kind, rounds, metrics_on=False)
        with _otlp_sink() as endpoint:
            os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
            tracing.start()
            on = await _measure(count, concurrency, pairs, client_kind, rounds, scrape_s=1.0)
        off_rate = float(results["throughput"]["interactions_per_s"])
        on_rate = float(on["throughput"]["interactions_per_s"])
        bare_rate = float(bare["throughput"]["interactions_per_s"])
        results["observability"] = {
            "off_interactions_per_s": off_rate,
            "on_interactions_per_s": on_rate,
            "overhead_pct": round(100 * (off_rate - on_rate) / off_rate, 1) if off_rate else None,
            "on_server_cpu_ms_per_interaction": on["server_cpu_ms_per_interaction"],
            "note": "off: no tracing, metrics counted (default); on: OTLP/HTTP export + a scrape a second",
            "metrics_off_interactions_per_s": bare_rate,
            "metrics_overhead_pct": round(100 * (bare_rate - off_rate) / bare_rate, 1) if bare_rate else None,
            "metrics_off_server_cpu_ms_per_interaction": bare["server_cpu_ms_per_interaction"],
        }
    return {
        "benchmark": "api",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "server": "uvicorn (uvloop, httptools; in this process) on 127.0.0.1; clients in a child process",
        "client": client_kind,
        "store": "sqlite (fresh file, WAL)",
        "model": MODEL,
        "results": results,
        "targets": {"interactions_per_s": 1000},  # issue 20 (`bench.report.API_TARGET_PER_S`)
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000, help="interactions per throughput round")
    parser.add_argument("--rounds", type=int, default=5, help="throughput rounds; the median is reported")
    parser.add_argument("--concurrency", type=int, default=32, help="clients at once (default 32)")
    parser.add_argument("--pairs", type=int, default=200, help="sequential create+get pairs (default 200)")
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="lean",
        help="load generator: lean (plain HTTP/1.1, default) or httpx (CPU-bound before the server)",
    )
    parser.add_argument(
        "--no-observe", action="store_true", help="skip the metrics-off and tracing-on passes"
    )
    args = parser.parse_args()
    parser_observe = not args.no_observe
    outcome = main(args.count, args.concurrency, args.pairs, args.client, args.rounds, parser_observe)
    print(json.dumps(run_like_server(outcome), indent=2))
