"""Upload benchmark: does a 200 MB gzip tar upload stall other clients of the API?

Issue 14 asks that gzip inflation and tar checks of uploads never block the event loop. This starts a
real `warren serve` (`bench/server.py`) with sandboxes, runs one agent interaction (a scripted model
that answers at once) so an environment with a running sandbox exists, and writes a gzip tar of
`--mb` MB of random bytes (incompressible, so the archive is as large as its contents) into a
temporary folder. Then, for each of `--rounds` rounds:

  idle     a poller sends `GET /v1beta/interactions/{id}` back to back, one at a time, for `--idle-s`
           seconds, with nothing else running
  upload   another client (a child process, so its CPU is not the poller's) uploads the archive into
           the environment with the files API's resumable upload (`extract=true`, chunks of
           `--chunk-mb` MB, as google-genai sends them) while the poller keeps polling

Idle and upload samples alternate round by round, so drift on a shared machine hits both alike.
Reported: the poller's p50/p95 idle and during uploads, their ratio (target ≤ 2), and each
upload's wall time.

Usage: python -m bench.upload [--mb MB] [--rounds R] [--idle-s S] [--chunk-mb C]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import httpx

from bench.server import BenchServer, agent_interaction, exit_on_sigterm, script_model, warren_server
from bench.stats import latency_row, ratio, summary
from orchestrator.sandbox.image import build_image

ANSWER_SCRIPT: dict[str, Any] = {"description": "Answer at once.", "turns": [{"text": "done"}]}
FILE_MB = 50
"""The archive holds files of this many MB each (the last one smaller)."""
UPLOAD_TIMEOUT_S = 600.0
"""One upload (all chunks and the extraction) may take at most this long."""


def make_archive(folder: Path, total_mb: int) -> Path:
    """A gzip tar of `total_mb` MB of random bytes in `folder` (level 1: random data does not shrink)."""
    path = folder / "upload.tar.gz"
    block = 1 << 20
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        left, index = total_mb, 0
        while left > 0:
            size = min(FILE_MB, left)
            source = folder / f"part-{index}.bin"
            with source.open("wb") as out:
                for _ in range(size):
                    out.write(os.urandom(block))
            tar.add(source, arcname=f"part-{index}.bin")
            source.unlink()
            left, index = left - size, index + 1
    return path


def upload(base_url: str, key: str, env_id: str, folder: str, archive: str, chunk_bytes: int) -> float:
    """Upload `archive` into `folder` of the environment's workspace, extracted; the wall time in s.

    Runs in a child process. Raises when any step does not answer 200.
    """
    size = os.path.getsize(archive)
    start = time.perf_counter()
    with httpx.Client(base_url=base_url, headers={"x-goog-api-key": key}, timeout=UPLOAD_TIMEOUT_S) as api:
        opened = api.put(
            f"/upload/v1beta/environments/{env_id}/files/{folder}",
            params={"extract": "true"},
            headers={"x-goog-upload-header-content-length": str(size)},
        )
        opened.raise_for_status()
        url = opened.headers["x-goog-upload-url"]
        with open(archive, "rb") as source:
            offset = 0
            while True:
                chunk = source.read(chunk_bytes)
                last = offset + len(chunk) >= size
                command = "upload, finalize" if last else "upload"
                headers = {"x-goog-upload-command": command, "x-goog-upload-offset": str(offset)}
                answer = api.post(url, content=chunk, headers=headers)
                answer.raise_for_status()
                offset += len(chunk)
                if last:
                    break
    return time.perf_counter() - start


async def _poll(api: httpx.AsyncClient, interaction_id: str, stop: Callable[[], bool]) -> list[float]:
    """Latencies of back-to-back GETs of the interaction, until `stop()` says so."""
    samples: list[float] = []
    while not stop():
        start = time.perf_counter()
        response = await api.get(f"/v1beta/interactions/{interaction_id}")
        response.raise_for_status()
        samples.append(time.perf_counter() - start)
    return samples


def _after(seconds: float) -> Callable[[], bool]:
    """A stop test that turns true `seconds` from now."""
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() >= deadline


async def _rounds(server: BenchServer, archive: Path, args: argparse.Namespace) -> dict[str, Any]:
    model = script_model(server.data_dir, "upload-answer", ANSWER_SCRIPT)
    async with server.client(connections=4) as api:
        done = await agent_interaction(api, model)
        env_id, interaction_id = str(done["environment_id"]), str(done["id"])
        server.environments.add(env_id)
        for _ in range(20):  # warm-up: connections, caches
            await api.get(f"/v1beta/interactions/{interaction_id}")
        idle: list[float] = []
        loaded: list[float] = []
        upload_s: list[float] = []
        spawn = multiprocessing.get_context("spawn")
        loop = asyncio.get_running_loop()
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            for n in range(args.rounds):
                idle += await _poll(api, interaction_id, _after(args.idle_s))
                running = loop.run_in_executor(
                    pool, upload, server.url, server.key, env_id, f"round-{n}", str(archive), args.chunk_bytes
                )
                loaded += await _poll(api, interaction_id, running.done)
                upload_s.append(await running)
    return {
        "idle": summary(idle),
        "during_upload": summary(loaded),
        "upload_wall": summary(upload_s),
    }


def rows(results: dict[str, Any], archive_mb: float, slower: float) -> list[dict[str, Any]]:
    """The README rows: the poller idle, and during uploads with the ratio as its target."""
    poll = "`GET /v1beta/interactions/{id}`, one poller, back to back"
    return [
        latency_row(f"{poll}, idle", results["idle"]),
        latency_row(
            f"{poll}, while another client uploads a {archive_mb:.0f} MB gzip tar (extracted into the "
            f"workspace; {slower}x idle)",
            results["during_upload"],
            target="≤ 2x idle",
            met=slower <= 2,
        ),
        latency_row(
            f"upload of the {archive_mb:.0f} MB gzip tar, start to finalize answer", results["upload_wall"]
        ),
    ]


async def main(args: argparse.Namespace) -> dict[str, Any]:
    client = docker.from_env(version="auto")
    image = (await asyncio.to_thread(build_image, client)).sandbox
    env = {"WARREN_POOL_SIZE": "0", "WARREN_MAX_BODY_BYTES": str(max(args.mb + 16, 64) << 20)}
    with tempfile.TemporaryDirectory(prefix="warren-upload-") as tmp:
        made = time.perf_counter()
        archive = await asyncio.to_thread(make_archive, Path(tmp), args.mb)
        made_s = round(time.perf_counter() - made, 2)
        archive_bytes = archive.stat().st_size
        with warren_server(image, env) as server:
            results = await _rounds(server, archive, args)
    archive_mb = archive_bytes / 1e6
    slower = ratio(results["during_upload"], results["idle"])
    return {
        "benchmark": "upload",
        "machine": {"cpus": os.cpu_count()},
        "engine": client.version().get("Version"),
        "image": image,
        "archive": {"bytes": archive_bytes, "contents_mb": args.mb, "made_in_s": made_s},
        "chunk_bytes": args.chunk_bytes,
        "results": results,
        "ratios": {"during_upload_vs_idle": slower},
        "targets": {"during_upload_vs_idle_max": 2.0},
        "rows": rows(results, archive_mb, slower),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=200, help="random megabytes in the archive (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="idle + upload rounds (default 3)")
    parser.add_argument("--idle-s", type=float, default=3.0, help="idle polling per round, s (default 3)")
    parser.add_argument("--chunk-mb", type=int, default=8, help="upload chunk size, MB (default 8)")
    parsed = parser.parse_args()
    parsed.chunk_bytes = parsed.chunk_mb << 20
    exit_on_sigterm()
    print(json.dumps(asyncio.run(main(parsed)), indent=2))
