"""Preview-URL latency (issue 18): a GET through the preview URL against the same GET made inside the sandbox.

A real `warren serve` (subprocess, real sandbox) has an environment whose sandbox serves
`python3 -m http.server 8000`. The preview figure is a GET of a small page from the host through
`/v1beta/environments/{id}/ports/8000/` with the API key (one relay exec per request: Warren's
authentication, the port check, the exec, the relay's connect, h11 both ways); the baseline is the
same GET from inside the sandbox to 127.0.0.1:8000 (the server's own time), timed there.

Usage: python -m bench.preview [--requests N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import docker
import httpx

from bench.stats import latency_row, summary
from orchestrator.sandbox.image import build_image
from tests.cli.conftest import base_env
from tests.support.serve import warren_serve

V = "/v1beta"
_DIRECT = """
import json, sys, time, urllib.request
samples = []
for _ in range(int(sys.argv[1])):
    started = time.perf_counter()
    with urllib.request.urlopen("http://127.0.0.1:8000/index.html") as answer:
        answer.read()
    samples.append(time.perf_counter() - started)
print(json.dumps(samples))
"""


def _sandbox_server(client: docker.DockerClient, env_id: str) -> Any:
    (container,) = client.containers.list(filters={"label": f"dev.warren.environment={env_id}"})
    container.exec_run(["sh", "-c", "echo '<h1>bench</h1>' > /workspace/index.html"])
    container.exec_run(["python3", "-m", "http.server", "8000", "-d", "/workspace"], detach=True)
    probe = "import socket; socket.create_connection(('127.0.0.1', 8000), timeout=1)"
    deadline = time.monotonic() + 30
    while container.exec_run(["python3", "-c", probe]).exit_code != 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the sandbox's http.server did not start")
        time.sleep(0.2)
    return container


def main(requests: int) -> dict[str, Any]:
    load = [round(x, 1) for x in os.getloadavg()]  # other work on the machine shows in the figures
    client = docker.from_env()
    image = build_image(client).sandbox
    data = Path(tempfile.mkdtemp(prefix="warren-preview-bench-"))
    env = {**base_env(image), "WARREN_DATA_DIR": str(data), "WARREN_POOL_SIZE": "0"}
    with warren_serve(env, data, ["bench"]) as server:
        headers = {"x-goog-api-key": server.keys["bench"]}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as api:
            env_id = api.post(f"{V}/environments", json={}).json()["id"]
            try:
                api.post(f"{V}/environments/{env_id}:resume").raise_for_status()
                container = _sandbox_server(client, env_id)
                api.post(f"{V}/environments/{env_id}/ports", json={"port": 8000}).raise_for_status()
                path = f"{V}/environments/{env_id}/ports/8000/index.html"
                for _ in range(5):  # warm-up: the server's first requests, the engine's caches
                    api.get(path).raise_for_status()
                preview = []
                for _ in range(requests):
                    started = time.perf_counter()
                    answer = api.get(path)
                    preview.append(time.perf_counter() - started)
                    assert answer.text == "<h1>bench</h1>\n", answer.text
                direct = json.loads(container.exec_run(["python3", "-c", _DIRECT, str(requests)]).output)
            finally:
                api.delete(f"{V}/environments/{env_id}")
    results = {"preview_get": summary(preview), "direct_get": summary(direct)}
    overhead = round(results["preview_get"]["p50_ms"] - results["direct_get"]["p50_ms"], 2)
    results["overhead_p50_ms"] = overhead
    return {
        "benchmark": "preview",
        "machine": {"cpus": os.cpu_count(), "load_average_1_5_15": load},
        "results": results,
        "rows": [
            latency_row(
                "preview URL: GET of a page served in the sandbox by `python3 -m http.server`, from the "
                f"host through `warren serve` (a relay exec per request); p50 {overhead} ms over the "
                "direct GET",
                results["preview_get"],
            ),
            latency_row(
                "the same GET made inside the sandbox to 127.0.0.1:8000 (baseline)", results["direct_get"]
            ),
        ],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100, help="requests of each kind (default 100)")
    print(json.dumps(main(parser.parse_args().requests), indent=2))
