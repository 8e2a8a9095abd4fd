#!/usr/bin/env python3
"""Keep research notes with their sources, and print numbered citations (standard library only).

Usage:
  notes.py add --url URL [--title T] [--quote Q] [--note N]   record a fact; prints its citation [n]
  notes.py list                                               show all notes
  notes.py sources                                            Markdown list of the sources cited
Options: --file PATH (default research/notes.jsonl)
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def source_numbers(notes: list[dict[str, Any]]) -> dict[str, int]:
    """One citation number per distinct URL, in order of first use."""
    numbers: dict[str, int] = {}
    for note in notes:
        numbers.setdefault(note["url"], len(numbers) + 1)
    return numbers


def add(path: Path, url: str, title: str, quote: str, note: str) -> int:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https", "file") or not (parsed.netloc or parsed.scheme == "file"):
        print(f"error: {url!r} is not an absolute http(s) URL", file=sys.stderr)
        return 2
    notes = load(path)
    entry = {
        "id": len(notes) + 1,
        "url": url,
        "title": title,
        "quote": quote,
        "note": note,
        "accessed": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    number = source_numbers([*notes, entry])[url]
    print(f"note {entry['id']} saved; cite it as [{number}]")
    return 0


def show(path: Path) -> int:
    notes = load(path)
    if not notes:
        print(f"no notes yet in {path}")
        return 0
    numbers = source_numbers(notes)
    for note in notes:
        print(f"#{note['id']} [{numbers[note['url']]}] {note['title'] or note['url']}")
        if note["quote"]:
            print(f'    "{note["quote"]}"')
        if note["note"]:
            print(f"    note: {note['note']}")
    return 0


def sources(path: Path) -> int:
    notes = load(path)
    numbers = source_numbers(notes)
    titles: dict[str, str] = {}
    accessed: dict[str, str] = {}
    for note in notes:
        titles.setdefault(note["url"], note["title"])
        accessed.setdefault(note["url"], note["accessed"])
    print("## Sources\n")
    for url, number in numbers.items():
        title = titles[url] or urlparse(url).netloc or url
        print(f"{number}. {title}. <{url}> (accessed {accessed[url]})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, default=Path("research/notes.jsonl"))
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", help="record a fact with its source")
    adding.add_argument("--url", required=True)
    adding.add_argument("--title", default="")
    adding.add_argument("--quote", default="", help="the exact words on the page")
    adding.add_argument("--note", default="", help="why it matters, in your words")
    commands.add_parser("list", help="show all notes")
    commands.add_parser("sources", help="print the numbered source list in Markdown")
    args = parser.parse_args(argv)
    if args.command == "add":
        return add(args.file, args.url, args.title, args.quote, args.note)
    if args.command == "list":
        return show(args.file)
    return sources(args.file)


if __name__ == "__main__":
    sys.exit(main())
