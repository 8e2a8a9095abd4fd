"""The README's benchmark table is the committed benchmark data, figure for figure: `make bench`
writes `bench/results/*.json`, their `summary.json` and the README block from it; committing them
together keeps the three in step, and these tests fail when one of them moves alone."""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import RESULTS, SUMMARY, readme_block, replace_block, summarize

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
