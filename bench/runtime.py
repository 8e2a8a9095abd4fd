"""Agent runtime benchmark: tool round trip inside a sandbox, and the orchestrator's overhead per step.

Measures (medians over --runs, default 50):
  run_code_python     `run_code` python `1+1` through the Toolbox inside a running sandbox (warm kernel)
  run_code_bash       `run_code` bash `true` through the Toolbox inside a running sandbox (warm shell)
  step_total          one agent step over the real runner channel (Unix socket): the last tool result
                      and the next model call (scripted model) in one request, recorded and stored
                      (committed) before the answer, as the runner sees it
  model_only          the scripted model alone for the same requests (what `step_total` spends in the model)
  step_overhead       step_total - model_only per request (sample by sample): the orchestrator's own
                      cost per step

Usage: python -m bench.runtime [--runs N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from agents.channel import Channel
from agents.model_types import Message, ModelRequest, TextPart, ToolCallPart, ToolResultPart
from agents.protocol import (
    Budget,
    FinishReport,
    StepCall,
    StepContext,
    ToolResultReport,
    WorkItem,
)
from bench.stats import run_like_server, summary
from orchestrator.channel.context import compose
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.server import SOCKET_NAME, ChannelServers
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.interactions.live import LiveLogs
from orchestrator.interactions.recorder import Recorder
from orchestrator.interactions.snapshot import wire_usage
from orchestrator.sandbox import DockerBackend, ExecRequest, SandboxSpec
from orchestrator.sandbox.image import build_image
from orchestrator.sandbox.tarsafe import pack_files
from orchestrator.store import InteractionCreate, Store

IN_SANDBOX = """
import asyncio, json, statistics, sys, time
from agents.tools import Toolbox

async def main(runs):
    toolbox = Toolbox()
    out = {}
    for name, args in [("run_code_python", {"language": "python", "code": "1+1"}),
                       ("run_code_bash", {"language": "bash", "code": "true"})]:
        for _ in range(5):
            await toolbox.call("run_code", args)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            result = await toolbox.call("run_code", args)
            samples.append(time.perf_counter() - started)
            assert not result.is_error, result.output
        out[name] = samples
    await toolbox.close()
    print(json.dumps(out))

asyncio.run(main(int(sys.argv[1])))
"""


async def tool_round_trips(runs: int) -> dict[str, dict[str, Any]]:
    """Time `run_code` inside a real sandbox, where the runner would call it."""
    image = (await asyncio.to_thread(build_image)).sandbox
    async with DockerBackend(image=image) as backend:
        info = await backend.create(SandboxSpec(environment_id="bench-runtime", tenant="bench"))
        try:
            await backend.start(info.id)
            await backend.put_archive(
                info.id, "/workspace", pack_files({"bench_tools.py": IN_SANDBOX.encode()})
            )
            result = await backend.exec(
                ExecRequest(sandbox_id=info.id, cmd=("python", "bench_tools.py", str(runs)), timeout_s=300)
            )
            if result.exit_code != 0:
                raise SystemExit(f"in-sandbox benchmark failed: {result.stderr.decode()[-2000:]}")
            samples: dict[str, list[float]] = json.loads(result.stdout)
        finally:
            await backend.destroy(info.id)
    return {name: summary(values) for name, values in samples.items()}


def _script(path: Path, steps: int) -> str:
    turns = [{"tool_calls": [{"name": "list_files", "arguments": {"path": "."}}]} for _ in range(steps)]
    path.write_text(yaml.safe_dump({"turns": [*turns, {"text": "done"}]}))
    return f"scripted:{path.stem}"  # a model names a script in the registry's folders, not a path


async def step_overhead(runs: int, workdir: Path) -> dict[str, dict[str, Any]]:
    """Act as the runner over the real socket and time each step; then time the model alone."""
    model = _script(workdir / "steps.yaml", runs)
    store = await Store.open(f"sqlite+aiosqlite:///{workdir / 'bench.db'}")
    gateway = ProviderRegistry(scripts_dirs=[workdir])
    hub = RunnerHub(gateway)
    channels = ChannelServers(hub, workdir / "run")

    async def any_token(_token: str) -> bool:
        return True

    await channels.ensure("env-bench", any_token)
    record = await store.interactions.create(
        "bench", InteractionCreate(request={"agent": "default"}, agent="default")
    )

    async def persist(steps: list[dict[str, Any]], events: list[dict[str, Any]], usage: Any) -> None:
        change = None if usage is None else {"usage": wire_usage(usage)}  # as InteractionService does
        await store.steps.append_batch("bench", record.id, steps, events, interaction=change)

    recorder = Recorder(LiveLogs().open(record.id), persist, first_index=1)
    conversation = [Message(role="user", parts=[TextPart(text="go")])]
    work = WorkItem(interaction_id=record.id, builtin_tools=["list_files"], budget=Budget(max_steps=runs + 1))
    running = asyncio.create_task(hub.run("env-bench", model, work, recorder, conversation))
    runner = Channel(str(channels.folder("env-bench") / SOCKET_NAME), "token")  # the runner's own client
    totals: list[float] = []
    requests: list[ModelRequest] = []
    context = StepContext(workspace=["a.txt"])
    composed = compose(work, context)  # what the hub sends the model with every step
    results: list[ToolResultReport] = []
    assert await runner.next_work(wait_s=5) is not None
    for turn in range(runs):
        call = StepCall(
            interaction_id=record.id, turn=turn, results=results, context=context if turn == 0 else None
        )
        started = time.perf_counter()
        answer = await runner.step(call)
        totals.append(time.perf_counter() - started)
        assert answer.response is not None, answer
        request = ModelRequest(system=composed.system, messages=list(conversation), tools=composed.tools)
        requests.append(request)
        tool_call = next(p for p in answer.response.parts if isinstance(p, ToolCallPart))
        result = ToolResultReport(
            interaction_id=record.id, call_id=tool_call.id, name=tool_call.name, output="a.txt"
        )
        results = [result]
        conversation += [
            Message(role="model", parts=list(answer.response.parts)),
            Message(
                role="user", parts=[ToolResultPart(call_id=tool_call.id, name="list_files", output="a.txt")]
            ),
        ]
    finish = FinishReport(interaction_id=record.id, outcome="completed", turn=runs, results=results)
    finishing = asyncio.create_task(runner.finish(finish))
    await running
    hub.committed(record.id)
    await finishing
    await runner.close()
    provider = gateway.resolve(model)
    model_only: list[float] = []
    for request in requests:
        started = time.perf_counter()
        async for _event in provider.stream(request):
            pass
        model_only.append(time.perf_counter() - started)
    stored = await store.steps.list_steps("bench", record.id)
    assert len(stored) == 2 * runs, f"expected {2 * runs} stored steps, found {len(stored)}"
    await channels.close_all()
    await store.close()
    # Per sample: step i's total minus the model's time on the same request i (a difference of two
    # medians would pair unrelated samples and can even come out below every real overhead).
    overhead = summary([total - alone for total, alone in zip(totals, model_only, strict=True)])
    return {"step_total": summary(totals), "model_only": summary(model_only), "step_overhead": overhead}


async def main(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="warren-bench-") as tmp:
        steps = await step_overhead(runs, Path(tmp))
    tools = await tool_round_trips(runs)
    return {
        "benchmark": "runtime",
        "machine": {"cpus": os.cpu_count()},
        "results": {**tools, **steps},
        "targets": {"run_code_p50_ms": 5, "step_overhead_p50_ms": 2},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50, help="runs per measurement (default 50)")
    print(json.dumps(run_like_server(main(parser.parse_args().runs)), indent=2))
