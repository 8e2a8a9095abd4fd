#!/usr/bin/env python3
"""Summarise a CSV/TSV file column by column, using only the standard library.

Usage: summarize_csv.py FILE [--json] [--delimiter D] [--top N]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from collections import Counter
from datetime import datetime
from typing import Any

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y-%m",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)
MISSING = {"", "na", "n/a", "nan", "null", "none", "-"}


def parse_number(text: str) -> float | None:
    """A float from text like `1,234.5`, `$12`, `45%`; None if it is not a number."""
    cleaned = text.strip().replace(",", "").replace("_", "").lstrip("$€£").rstrip("%")
    try:
        return float(cleaned)
    except ValueError:
        return None


def parse_date(text: str) -> datetime | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def sniff_delimiter(sample: str, path: str) -> str:
    if path.lower().endswith(".tsv"):
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def summarise_column(name: str, values: list[str], top: int) -> dict[str, Any]:
    present = [v for v in values if v.strip().lower() not in MISSING]
    info: dict[str, Any] = {
        "name": name,
        "missing": len(values) - len(present),
        "distinct": len(set(present)),
    }
    numbers = [n for n in (parse_number(v) for v in present) if n is not None]
    if present and len(numbers) >= 0.9 * len(present):
        info["type"] = "integer" if all(n.is_integer() for n in numbers) else "number"
        info["non_numeric"] = len(present) - len(numbers)
        info.update(
            min=min(numbers),
            max=max(numbers),
            mean=statistics.fmean(numbers),
            median=statistics.median(numbers),
            stdev=statistics.stdev(numbers) if len(numbers) > 1 else 0.0,
            sum=sum(numbers),
        )
        return info
    dates = [d for d in (parse_date(v) for v in present) if d is not None]
    if present and len(dates) >= 0.9 * len(present):
        info.update(type="date", min=min(dates).isoformat(), max=max(dates).isoformat())
        return info
    info["type"] = "text" if present else "empty"
    info["top"] = Counter(present).most_common(top)
    if present:
        lengths = [len(v) for v in present]
        info["length"] = {"min": min(lengths), "max": max(lengths)}
    return info


def summarise(path: str, delimiter: str | None, top: int) -> dict[str, Any]:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        delim = delimiter or sniff_delimiter(sample, path)
        reader = csv.reader(handle, delimiter=delim)
        header = next(reader, None)
        if header is None:
            return {"file": path, "rows": 0, "columns": []}
        header = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
        columns: list[list[str]] = [[] for _ in header]
        ragged = 0
        rows = 0
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            if len(row) != len(header):
                ragged += 1
            for i in range(len(header)):
                columns[i].append(row[i] if i < len(row) else "")
    return {
        "file": path,
        "delimiter": delim,
        "rows": rows,
        "ragged_rows": ragged,
        "columns": [summarise_column(n, v, top) for n, v in zip(header, columns, strict=True)],
    }


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def to_markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"# Summary of {summary['file']}",
        "",
        f"- rows: {summary['rows']}  (delimiter {summary.get('delimiter', ',')!r})",
        f"- columns: {len(summary['columns'])}",
    ]
    if summary.get("ragged_rows"):
        lines.append(f"- rows with a different number of fields than the header: {summary['ragged_rows']}")
    lines += ["", "| column | type | missing | distinct | details |", "|---|---|---|---|---|"]
    for col in summary["columns"]:
        if col["type"] in ("integer", "number"):
            detail = ", ".join(f"{k} {fmt(col[k])}" for k in ("min", "max", "mean", "median", "stdev"))
            if col["non_numeric"]:
                detail += f", {col['non_numeric']} non-numeric"
        elif col["type"] == "date":
            detail = f"from {col['min']} to {col['max']}"
        elif col["type"] == "text":
            detail = "top: " + ", ".join(f"{v!r} ({c})" for v, c in col["top"])
        else:
            detail = "all values missing"
        lines.append(f"| {col['name']} | {col['type']} | {col['missing']} | {col['distinct']} | {detail} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--delimiter", help="field separator (default: sniffed)")
    parser.add_argument("--top", type=int, default=5, help="most common values shown for text columns")
    args = parser.parse_args(argv)
    try:
        summary = summarise(args.file, args.delimiter, args.top)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2, default=str) if args.json else to_markdown(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
