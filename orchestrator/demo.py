"""`make demo`: a real agent task end to end in a real sandbox, with the steps printed live.

An in-process Warren server (SQLite in a temp dir, the local Docker engine) runs the `default` agent
on a CSV data source: the agent loads the data-analysis skill, computes with Python, charts the
data, writes a Markdown and HTML report, opens it in the sandbox's Chromium and takes a screenshot.
The artifacts are downloaded to `demo-output/`. The model is `scripted:demo` (offline); set
`WARREN_DEMO_MODEL` (e.g. `gemini:gemini-3-pro` with its key in the environment) to use a real one.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from orchestrator.compose import build_app
from orchestrator.config import Settings
from orchestrator.sandbox.image import build_image
from orchestrator.store import Store

console = Console(stderr=True, highlight=False)
OUTPUT = Path("demo-output")
TASK = (
    "Analyse sales.csv: units per region and the best month, chart units per month, and write a short report."
)
SALES = """month,region,units
Jan,North,120
Jan,South,95
Feb,North,135
Feb,South,101
Mar,North,160
Mar,South,122
Apr,North,150
Apr,South,140
May,North,190
May,South,133
"""
ARTIFACTS = ("report.md", "report.html", "chart.svg")


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _result_text(step: dict[str, Any]) -> str:
    result = step.get("result")
    if isinstance(result, list):
        return " ".join(str(part.get("text", f"[{part.get('type')}]")) for part in result)
    return _short(result)


class _LiveView:
    """Prints SSE events as readable lines: thoughts, text, tool calls and their results."""

    def __init__(self) -> None:
        self.open_kind: str | None = None
        self.calls: dict[int, str] = {}

    def event(self, event: dict[str, Any]) -> None:
        kind = event["event_type"]
        if kind == "step.start":
            self._start(event["index"], event["step"])
        elif kind == "step.delta":
            delta = event["delta"]
            if delta["type"] == "text":
                console.print(delta["text"], end="", style="bold")
            elif delta["type"] == "thought_summary":
                console.print(delta["content"].get("text", ""), end="", style="italic dim")
            elif delta["type"] == "arguments_delta":
                console.print(
                    f"  [magenta]→ {self.calls.get(event['index'], '?')}[/] {_short(delta['arguments'])}"
                )
            elif delta["type"] == "code_execution_call":
                arguments = delta["arguments"]
                language, code = arguments.get("language"), _short(arguments.get("code", ""), 100)
                console.print(f"  [magenta]→ run_code[/] ({language}) {code}")
        elif kind == "step.stop" and self.open_kind in ("thought", "model_output"):
            console.print()
            self.open_kind = None
        elif kind == "interaction.completed":
            status = event["interaction"]["status"]
            console.print(f"[{'green' if status == 'completed' else 'red'}]● {status}[/]")

    def _start(self, index: int, step: dict[str, Any]) -> None:
        kind = step["type"]
        self.open_kind = kind
        if kind == "function_call":
            self.calls[index] = step["name"]
        if kind == "thought":
            console.print("  [dim]thinking:[/] ", end="")
        elif kind == "model_output":
            console.print("  [cyan]agent:[/] ", end="")
        elif kind in ("function_result", "code_execution_result"):
            style = "red" if step.get("is_error") else "green"
            console.print(f"  [{style}]← {_short(_result_text(step), 200)}[/]")


async def _events(client: httpx.AsyncClient, body: dict[str, Any]) -> Any:
    async with client.stream("POST", "/v1beta/interactions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                yield json.loads(line[6:])


async def run_demo() -> int:
    """Run the demo task; returns the process exit code (0 when the interaction completed)."""
    started = time.monotonic()
    with console.status("sandbox image (built once, then cached by a hash of its inputs)"):
        image = (await asyncio.to_thread(build_image)).sandbox
    console.print(f"[bold]image[/] {image}")
    data_dir = Path(tempfile.mkdtemp(prefix="warren-demo-"))
    settings = Settings(data_dir=data_dir, sandbox_image=image)
    async with await Store.open(f"sqlite+aiosqlite:///{data_dir / 'warren.db'}") as store:
        _record, key = await store.keys.create_key("demo", "demo")
    app = build_app(settings)
    body: dict[str, Any] = {
        "agent": "default",
        "input": TASK,
        "stream": True,
        "environment": {
            "type": "remote",
            "network": "disabled",
            "sources": [{"type": "inline", "target": "sales.csv", "content": SALES}],
        },
    }
    if os.environ.get("WARREN_DEMO_MODEL"):
        body["agent_config"] = {"type": "antigravity", "model": os.environ["WARREN_DEMO_MODEL"]}
    console.print(f"[bold]task[/] {TASK}")
    view, final = _LiveView(), {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        headers = {"x-goog-api-key": key}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://warren", headers=headers, timeout=300
        ) as client:
            async for event in _events(client, body):
                view.event(event)
                if event["event_type"] == "interaction.completed":
                    final = event["interaction"]
            env = final.get("environment_id")
            await asyncio.to_thread(OUTPUT.mkdir, exist_ok=True)
            shots = (
                (await client.get(f"/v1beta/environments/{env}/files/.warren/screenshots"))
                .json()
                .get("files", [])
            )
            for path in [*ARTIFACTS, *(shot["path"] for shot in shots)]:
                response = await client.get(
                    f"/v1beta/environments/{env}/files/{path}", params={"alt": "media"}
                )
                if response.status_code == 200:
                    (OUTPUT / Path(path).name).write_bytes(response.content)
                    console.print(
                        f"[bold]artifact[/] {OUTPUT / Path(path).name} ({len(response.content)} bytes)"
                    )
            await client.delete(f"/v1beta/environments/{env}")
    console.print(f"[bold]done[/] in {time.monotonic() - started:.1f}s; sandbox destroyed")
    return 0 if final.get("status") == "completed" else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(run_demo()))
