"""`warren logs`: stored steps, and `--follow` across a forced disconnect (every step exactly once)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from orchestrator.cli.step_text import describe
from tests.cli.conftest import Server, script, warren

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@contextmanager
def dropping_proxy(target_port: int, cut_after_s: float) -> Iterator[tuple[int, list[int]]]:
    """A loopback TCP proxy that cuts every connection after `cut_after_s` seconds.

    Yields its port and a list that counts the connections it cut.
    """
    cuts: list[int] = []
    loop = asyncio.new_event_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
        both = asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        try:
            await asyncio.wait_for(both, cut_after_s)
        except TimeoutError:
            cuts.append(1)
            writer.transport.abort()
            upstream_writer.transport.abort()

    async def serve() -> asyncio.Server:
        return await asyncio.start_server(handle, sock=listener)

    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield port, cuts
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def _start(server: Server, model: str) -> str:
    with server.http() as client:
        created = client.post(
            "/v1beta/interactions",
            json={
                "agent": "default",
                "input": "go",
                "background": True,
                "agent_config": {"type": "antigravity", "model": model},
            },
        )
        assert created.status_code == 200, created.text
        return str(created.json()["id"])


def test_follow_resumes_after_a_dropped_connection_without_repeats(server: Server) -> None:
    interaction_id = _start(server, script("steps"))
    port = int(server.url.rsplit(":", 1)[1])
    with dropping_proxy(port, cut_after_s=1.0) as (proxy_port, cuts):
        done = warren(
            "logs",
            interaction_id,
            "--follow",
            "--plain",
            env=server.env(WARREN_URL=f"http://127.0.0.1:{proxy_port}"),
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert cuts, "the proxy never cut the stream: the test proved nothing"
    assert "reconnecting after event" in done.stderr
    with server.http() as client:
        stored = client.get(f"/v1beta/interactions/{interaction_id}").json()
    expected = "".join(
        f"[{label}] {text}\n" for label, text in map(describe, stored["steps"]) if label != "input"
    )
    shown = done.stdout.replace("[status] completed\n", "")
    assert shown == expected, "every step exactly once, in order"
    assert done.stdout.rstrip().endswith("[status] completed")


def test_logs_prints_stored_steps(server: Server) -> None:
    interaction_id = _start(server, script("write").replace("write", "fail"))
    time.sleep(0.5)
    followed = warren("logs", interaction_id, "-f", env=server.env())
    assert followed.returncode == 0
    done = warren("logs", interaction_id, env=server.env())
    assert done.returncode == 0, done.stderr
    assert "[error] scripted model call failed (HTTP 400): scripted refusal" in done.stdout
    assert "status failed" in done.stderr
