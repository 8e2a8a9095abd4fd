#!/usr/bin/env python3
"""Draw a bar or line chart from CSV columns as a standalone SVG, using only the standard library.

Usage: chart.py FILE --x COL --y COL [--y COL ...] [--kind bar|line] [--agg sum|mean|count|min|max|none]
                [--sort none|x|value] [--limit N] [--title T] [-o OUT.svg]
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
from collections.abc import Callable
from xml.sax.saxutils import escape

PALETTE = ("#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5")
WIDTH, HEIGHT = 960, 540
LEFT, RIGHT, TOP, BOTTOM = 80, 30, 60, 110
AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "mean": statistics.fmean,
    "count": lambda values: float(len(values)),
    "min": min,
    "max": max,
}


def number(text: str) -> float | None:
    cleaned = (text or "").strip().replace(",", "").lstrip("$€£").rstrip("%")
    try:
        return float(cleaned)
    except ValueError:
        return None


def load(path: str, x: str, ys: list[str], agg: str) -> tuple[list[str], dict[str, list[float]]]:
    """Labels along x and one list of values per y column (aggregated per label unless agg is none)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(handle, dialect=dialect)
        missing = [c for c in [x, *ys] if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"error: no column(s) {missing}; columns are {reader.fieldnames}")
        rows = list(reader)
    if agg == "none":
        labels = [row[x] for row in rows]
        series = {y: [number(row[y]) or 0.0 for row in rows] for y in ys}
        return labels, series
    groups: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        bucket = groups.setdefault(row[x], {y: [] for y in ys})
        for y in ys:
            value = number(row[y])
            if value is not None or agg == "count":
                bucket[y].append(value or 0.0)
    labels = list(groups)
    combine = AGGREGATES[agg]
    series = {y: [combine(groups[lab][y]) if groups[lab][y] else 0.0 for lab in labels] for y in ys}
    return labels, series


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    if high == low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [round(math.floor(low / step) * step, 10)]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def label(value: float) -> str:
    if abs(value) >= 1e9:
        return f"{value / 1e9:g}B"
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def render(labels: list[str], series: dict[str, list[float]], kind: str, title: str, ylabel: str) -> str:
    values = [v for vs in series.values() for v in vs] or [0.0]
    ticks = nice_ticks(min(0.0, min(values)), max(0.0, max(values)))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Liberation Sans, Arial, sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="32" text-anchor="middle" font-size="18" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    for tick in ticks:
        y = y_of(tick)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{label(tick)}</text>')
    if ylabel:
        out.append(
            f'<text transform="translate(18 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle" '
            f'fill="#333">{escape(ylabel)}</text>'
        )
    n = max(len(labels), 1)
    band = plot_w / n
    every = max(1, math.ceil(n / 30))
    rotate = n > 8 or max((len(s) for s in labels), default=0) > 10
    for i, text in enumerate(labels):
        if i % every:
            continue
        x = LEFT + band * (i + 0.5)
        short = escape(text if len(text) <= 18 else text[:17] + "…")
        if rotate:
            out.append(
                f'<text transform="translate({x:.1f} {TOP + plot_h + 14}) rotate(-40)" '
                f'text-anchor="end" fill="#333">{short}</text>'
            )
        else:
            out.append(
                f'<text x="{x:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" fill="#333">{short}</text>'
            )
    zero = y_of(0.0) if low <= 0 <= high else y_of(low)
    names = list(series)
    for s, name in enumerate(names):
        colour = PALETTE[s % len(PALETTE)]
        if kind == "bar":
            width = band * 0.8 / len(names)
            for i, value in enumerate(series[name]):
                x = LEFT + band * i + band * 0.1 + width * s
                top, bottom = sorted((y_of(value), zero))
                out.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{max(width - 1, 1):.1f}" '
                    f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}"><title>{escape(labels[i])}: '
                    f"{value:g}</title></rect>"
                )
        else:
            xs = [LEFT + band * (i + 0.5) for i in range(len(series[name]))]
            points = " ".join(f"{x:.1f},{y_of(v):.1f}" for x, v in zip(xs, series[name], strict=True))
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
            if n <= 60:
                for i, v in enumerate(series[name]):
                    out.append(
                        f'<circle cx="{xs[i]:.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}">'
                        f"<title>{escape(labels[i])}: {v:g}</title></circle>"
                    )
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#333"/>')
    if len(names) > 1:
        for s, name in enumerate(names):
            x = LEFT + 10 + s * 150
            out.append(f'<rect x="{x}" y="44" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>')
            out.append(f'<text x="{x + 18}" y="54" fill="#333">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file")
    parser.add_argument("--x", required=True, help="column for categories / the x axis")
    parser.add_argument("--y", required=True, action="append", help="numeric column to plot (repeatable)")
    parser.add_argument("--kind", choices=("bar", "line"), default="bar")
    parser.add_argument(
        "--agg", choices=(*AGGREGATES, "none"), default="none", help="combine the rows of each x value"
    )
    parser.add_argument("--sort", choices=("none", "x", "value"), default="none")
    parser.add_argument("--limit", type=int, default=0, help="keep only the first N points after sorting")
    parser.add_argument("--title", default="")
    parser.add_argument("-o", "--out", default="chart.svg")
    args = parser.parse_args(argv)
    labels, series = load(args.file, args.x, args.y, args.agg)
    order = list(range(len(labels)))
    if args.sort == "x":
        order.sort(key=lambda i: (number(labels[i]) is None, number(labels[i]) or 0.0, labels[i]))
    elif args.sort == "value":
        first = series[args.y[0]]
        order.sort(key=lambda i: -first[i])
    if args.limit > 0:
        order = order[: args.limit]
    labels = [labels[i] for i in order]
    series = {name: [values[i] for i in order] for name, values in series.items()}
    title = args.title or f"{', '.join(args.y)} by {args.x}"
    ylabel = args.y[0] if len(args.y) == 1 else ""
    if args.agg not in ("none", "count") and ylabel:
        ylabel = f"{args.agg} of {ylabel}"
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(render(labels, series, args.kind, title, ylabel))
    print(f"wrote {args.out}: {args.kind} chart, {len(labels)} points, series {', '.join(series)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
