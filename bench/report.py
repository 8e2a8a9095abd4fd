"""The benchmark table: from the JSON of one `make bench` run to `bench/results/summary.json` and the README.

A result file may carry `rows` (figure, p50, p95, unit, n, target, met); `bench.runtime` and
`bench.api` do not, and are read from their `results` here (`bench.api`: throughput, create + get,
and the tracing-and-scrape on vs off row). `bench.runtimes` rows hold runc / runsc in each cell.
Each figure is a median (p50) and p95 over `n` runs; ratios in the figure text were measured in the
same run as both of their terms.

`--summarize` (run by `make bench` right after the benchmarks, on the machine that ran them) writes
`summary.json`: the machine line of that machine, the time, and every row. `--readme FILE` writes the
table from `summary.json` between the README's `bench-table` markers, so the README can only show
figures of committed data; `tests/unit/test_bench_report.py` checks that they agree.

Usage: python -m bench.report [--results DIR] [--summarize] [--readme FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.stats import latency_row

RESULTS = Path(__file__).parent / "results"
ORDER = ("provision", "sessions", "runtime", "api", "idle", "concurrent", "upload", "runtimes")
"""Table order; other result files follow alphabetically."""
API_TARGET_PER_S = 1000
"""Issue 20: foreground interactions a second on `bench.api` (was 300 before it)."""
SUMMARY = "summary.json"
"""What `--summarize` writes beside the results: the rows of one run and the machine that ran it."""
START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"

Row = dict[str, Any]


def _runtime_rows(doc: dict[str, Any]) -> list[Row]:
    results = doc.get("results", {})
    rows: list[Row] = []
    for key, figure, target in (
        ("run_code_python", "`run_code` python `1+1` through the toolbox in a running sandbox", 5),
        ("run_code_bash", "`run_code` bash `true` through the toolbox in a running sandbox", None),
    ):
        if key in results:
            rows.append(_row(figure, results[key], target))
    if "step_overhead" in results:
        figure = (
            "orchestrator overhead per agent step (one runner-channel request: the last tool result "
            "and the next model call, stored before the answer; "
        )
        if "model_only" in results:
            figure += f"minus the scripted model's {results['model_only'].get('p50_ms')} ms)"
        else:
            figure += "minus the scripted model)"
        rows.append(_row(figure, results["step_overhead"], 2))
    return rows


def _api_rows(doc: dict[str, Any]) -> list[Row]:
    results = doc.get("results", {})
    rows: list[Row] = []
    throughput = results.get("throughput")
    if throughput:
        rate = throughput.get("interactions_per_s")
        rows.append(
            {
                "figure": f"API: foreground `scripted:echo` interactions, {throughput.get('concurrency')} "
                f"clients over loopback ({throughput.get('completed')}/{throughput.get('count')} completed)",
                "p50": f"{rate} / s",
                "p95": "",
                "unit": "",
                "n": throughput.get("completed"),
                "target": f"≥ {API_TARGET_PER_S} / s",
                "met": rate is not None and rate >= API_TARGET_PER_S,
            }
        )
    if "create_get" in results:
        rows.append(_row("API: create + get of an interaction, sequential", results["create_get"], None))
    observed = results.get("observability")
    if throughput and observed:
        cpu = results.get("server_cpu_ms_per_interaction")
        if "metrics_off_interactions_per_s" in observed:
            rows.append(_metrics_row(throughput, observed, cpu))
        rows.append(_observability_row(throughput, observed, cpu))
    return rows


def _metrics_row(throughput: Row, observed: Row, cpu_on: float | None) -> Row:
    """Throughput with every metric point off against the default (counted), from the same run."""
    bare, on = observed.get("metrics_off_interactions_per_s"), observed.get("off_interactions_per_s")
    cpu = observed.get("metrics_off_server_cpu_ms_per_interaction")
    return {
        "figure": f"API: the same load with the metrics off (`WARREN_METRICS=off`), against {on} / s "
        f"counted (the default; same run): counting costs {observed.get('metrics_overhead_pct')} % of "
        f"throughput (below zero: run-to-run noise); server CPU {cpu} → {cpu_on} ms per interaction",
        "p50": f"{bare} / s",
        "p95": "",
        "unit": "",
        "n": throughput.get("completed"),
    }


def _observability_row(throughput: Row, observed: Row, cpu_off: float | None) -> Row:
    """Throughput with traces exported and `/metrics` scraped against without, from the same run."""
    on, off = observed.get("on_interactions_per_s"), observed.get("off_interactions_per_s")
    cpu = observed.get("on_server_cpu_ms_per_interaction")
    return {
        "figure": f"API: the same load with OpenTelemetry traces exported (OTLP/HTTP to a loopback sink) and "
        f"`/metrics` scraped once a second, against {off} / s without traces (same run; metrics "
        f"counted in both): {observed.get('overhead_pct')} % fewer interactions "
        f"/ s; server CPU {cpu_off} → {cpu} ms per interaction",
        "p50": f"{on} / s",
        "p95": "",
        "unit": "",
        "n": throughput.get("completed"),
    }


ADAPTERS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {"runtime": _runtime_rows, "api": _api_rows}


def _row(figure: str, stats: dict[str, Any], target_ms: float | None) -> Row:
    return latency_row(figure, stats, target_ms=target_ms)


def _value(value: Any, unit: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        value = f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return f"{value} {unit}".strip()


def _met(row: Row) -> str:
    if "met" not in row:
        return ""
    return "yes" if row["met"] else "**no**"


def load(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """The result documents in table order, as (name, document)."""
    found = {path.stem: path for path in folder.glob("*.json") if path.name != SUMMARY}
    names = [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)
    docs = []
    for name in names:
        try:
            docs.append((name, json.loads(found[name].read_text())))
        except (OSError, json.JSONDecodeError) as exc:
            docs.append((name, {"error": f"unreadable: {exc}"}))
    return docs


def rows_of(name: str, doc: dict[str, Any]) -> list[Row]:
    """The table rows of one result document."""
    if "rows" in doc:
        rows: list[Row] = doc["rows"]
        return rows
    if name in ADAPTERS:
        return ADAPTERS[name](doc)
    return []


def machine(docs: list[tuple[str, dict[str, Any]]]) -> str:
    """One line: cores, OS, Docker engine, cgroup version, memory (from this host and the results)."""
    engine = next((d["engine"] for _, d in docs if d.get("engine")), None)
    os_name = platform.system()
    release = Path("/etc/os-release")
    if release.exists():
        fields = dict(
            line.split("=", 1) for line in release.read_text().splitlines() if "=" in line and line.strip()
        )
        os_name = fields.get("PRETTY_NAME", os_name).strip('"')
    cgroup = "v2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "v1"
    memory = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f", {round(int(line.split()[1]) / (1 << 20))} GB RAM"
    docker = f", Docker {engine}" if engine else ""
    return f"{os.cpu_count()} cores, {os_name}{docker}, cgroup {cgroup}{memory}"


def summarize(folder: Path) -> dict[str, Any]:
    """Every row of the results in `folder`, with this machine's line and the newest result's time."""
    docs = load(folder)
    stamp = max((p.stat().st_mtime for p in folder.glob("*.json") if p.name != SUMMARY), default=None)
    rows = []
    for name, doc in docs:
        if "error" in doc:
            rows.append({"benchmark": name, "figure": doc["error"]})
            continue
        rows.extend({"benchmark": name, **row} for row in rows_of(name, doc))
    return {
        "machine": machine(docs),
        "when": datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC") if stamp else "never",
        "rows": rows,
    }


def render(summary: dict[str, Any]) -> str:
    """The Markdown table of a summary: its machine line, then one row per figure."""
    lines = [
        f"Machine: {summary['machine']}. Results of {summary['when']}; p50 is the median over n runs.",
        "",
        "| benchmark | figure | n | p50 | p95 | target | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in summary["rows"]:
        unit = row.get("unit", "")
        cells = [
            row["benchmark"],
            str(row["figure"]).replace("|", "\\|"),
            str(row.get("n") or ""),
            _value(row.get("p50"), unit),
            _value(row.get("p95"), unit),
            row.get("target", ""),
            _met(row),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table(folder: Path) -> str:
    """The Markdown report of the result documents in `folder`, as `summarize` + `render` make it."""
    return render(summarize(folder))


def readme_block(summary: dict[str, Any]) -> str:
    """The README's table block, markers included."""
    return f"{START}\n{render(summary)}{END}"


def replace_block(readme: str, summary: dict[str, Any]) -> str:
    """`readme` with its table block written anew from `summary`."""
    head, _, rest = readme.partition(START)
    _, found, tail = rest.partition(END)
    if not found:
        raise SystemExit(f"the README has no {START} ... {END} block")
    return head + readme_block(summary) + tail


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the JSON results")
    parser.add_argument("--summarize", action="store_true", help=f"write {SUMMARY} from the results")
    parser.add_argument("--readme", type=Path, help="write the table from the summary into this README")
    args = parser.parse_args()
    summary_path = args.results / SUMMARY
    if args.summarize:
        summary_path.write_text(json.dumps(summarize(args.results), indent=2, ensure_ascii=False) + "\n")
    if args.readme:
        summary = json.loads(summary_path.read_text())
        args.readme.write_text(replace_block(args.readme.read_text(), summary))
    if not args.summarize and not args.readme:
        print(table(args.results), end="")
