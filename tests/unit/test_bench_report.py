"""The README's benchmark table is the committed benchmark data, figure for figure: `make bench`
writes `bench/results/*.json`, their `summary.json` and the README block from it; committing them
together keeps the three in step, and these tests fail when one of them moves alone."""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import RESULTS, SUMMARY, readme_block, render, replace_block, summarize

README = Path(__file__).resolve().parents[2] / "README.md"


def _summary() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((RESULTS / SUMMARY).read_text())
    return loaded


def test_the_readme_table_is_the_committed_summary() -> None:
    assert readme_block(_summary()) in README.read_text()


def test_the_summary_is_the_committed_results() -> None:
    assert summarize(RESULTS)["rows"] == _summary()["rows"]


def test_replacing_the_block_keeps_the_rest_of_the_readme() -> None:
    summary = {"machine": "m", "when": "w", "rows": [{"benchmark": "b", "figure": "f|g", "p50": 1.5}]}
    text = "intro\n<!-- bench-table:start -->\nold\n<!-- bench-table:end -->\noutro\n"
    again = replace_block(text, summary)
    assert again.startswith("intro\n") and again.endswith("\noutro\n")
    assert "| b | f\\|g |  | 1.50 |" in again and "old" not in again


def test_the_api_row_of_tracing_on_against_off_comes_from_the_same_run(tmp_path: Path) -> None:
    throughput = {"concurrency": 32, "completed": 1000, "count": 1000, "interactions_per_s": 700.0}
    observed = {"off_interactions_per_s": 700.0, "on_interactions_per_s": 525.0, "overhead_pct": 25.0}
    doc = {"results": {"throughput": throughput, "observability": observed}}
    (tmp_path / "api.json").write_text(json.dumps(doc))
    rows = summarize(tmp_path)["rows"]
    (row,) = [r for r in rows if "traces exported" in r["figure"]]
    assert row["p50"] == "525.0 / s" and "against 700.0 / s without traces" in row["figure"]
    assert "25.0 % fewer" in row["figure"]
    assert not [r for r in rows if "metrics off" in r["figure"]]  # an older file: no metrics-off pass


def test_the_api_row_of_metrics_off_against_on_comes_from_the_same_run(tmp_path: Path) -> None:
    throughput = {"concurrency": 32, "completed": 1000, "count": 1000, "interactions_per_s": 700.0}
    observed = {
        "off_interactions_per_s": 700.0,
        "on_interactions_per_s": 525.0,
        "overhead_pct": 25.0,
        "metrics_off_interactions_per_s": 714.0,
        "metrics_overhead_pct": 2.0,
        "metrics_off_server_cpu_ms_per_interaction": 1.2,
    }
    doc = {
        "results": {"throughput": throughput, "observability": observed, "server_cpu_ms_per_interaction": 1.3}
    }
    (tmp_path / "api.json").write_text(json.dumps(doc))
    rows = summarize(tmp_path)["rows"]
    (row,) = [r for r in rows if "metrics off" in r["figure"]]
    assert row["p50"] == "714.0 / s" and "against 700.0 / s counted" in row["figure"]
    assert "costs 2.0 %" in row["figure"] and "1.2 → 1.3 ms" in row["figure"]


def test_a_new_result_file_joins_the_others_in_table_order(tmp_path: Path) -> None:
    """`bench.runtimes` alone can be run again: summarizing merges its rows with every other result."""
    row = {"figure": "runc / runsc: x", "p50": "1 / 2", "p95": "", "unit": "ms", "n": 3}
    (tmp_path / "runtimes.json").write_text(json.dumps({"rows": [row]}))
    (tmp_path / "provision.json").write_text(json.dumps({"rows": [{"figure": "p", "p50": 1.0}]}))
    (tmp_path / "zzz.json").write_text(json.dumps({"rows": [{"figure": "z", "p50": 1.0}]}))
    rows = summarize(tmp_path)["rows"]
    assert [r["benchmark"] for r in rows] == ["provision", "runtimes", "zzz"]
    assert "| runtimes | runc / runsc: x | 3 | 1 / 2 ms |" in render(summarize(tmp_path))
