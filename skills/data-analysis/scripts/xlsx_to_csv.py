#!/usr/bin/env python3
"""Convert a sheet of an Excel .xlsx workbook to CSV with only the standard library (no openpyxl).

Usage: xlsx_to_csv.py BOOK.xlsx [--list] [--sheet NAME_OR_NUMBER] [-o OUT.csv]
Values are written as stored: formulas give their cached result; dates stay Excel serial
numbers unless --dates is given (then cells with a date style become ISO dates).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import zipfile
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
DATE_FORMAT_IDS = set(range(14, 23)) | set(range(45, 48))


def parse(data: bytes) -> ET.Element:
    """Parse one XML part. The stdlib parser never fetches external entities, and the expat it is
    built on (2.4+) refuses entity-expansion bombs, so a hostile workbook cannot do more than fail."""
    return ET.fromstring(data)  # noqa: S314


def sheets(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, path inside the zip) of each sheet, in workbook order."""
    workbook = parse(book.read("xl/workbook.xml"))
    rels = parse(book.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall("rel:Relationship", NS)}
    found = []
    for sheet in workbook.findall("m:sheets/m:sheet", NS):
        target = targets[sheet.get(f"{{{NS['r']}}}id")].lstrip("/")
        found.append((sheet.get("name", ""), target if target.startswith("xl/") else f"xl/{target}"))
    return found


def shared_strings(book: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    root = parse(book.read("xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in root.findall("m:si", NS)]


def date_styles(book: zipfile.ZipFile) -> set[int]:
    """Indexes of cell styles whose number format is a date."""
    if "xl/styles.xml" not in book.namelist():
        return set()
    root = parse(book.read("xl/styles.xml"))
    custom = {
        int(fmt.get("numFmtId", "0"))
        for fmt in root.findall("m:numFmts/m:numFmt", NS)
        if re.search(r"[dmy]", re.sub(r'"[^"]*"|\[[^\]]*\]', "", fmt.get("formatCode", "")), re.I)
    }
    xfs = root.findall("m:cellXfs/m:xf", NS)
    return {i for i, xf in enumerate(xfs) if int(xf.get("numFmtId", "0")) in DATE_FORMAT_IDS | custom}


def column_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    index = 0
    for char in letters.group(0) if letters else "A":
        index = index * 26 + ord(char) - 64
    return index - 1


def read_sheet(book: zipfile.ZipFile, path: str, convert_dates: bool) -> list[list[str]]:
    strings = shared_strings(book)
    dates = date_styles(book) if convert_dates else set()
    root = parse(book.read(path))
    rows: list[list[str]] = []
    for row in root.iter(f"{{{NS['m']}}}row"):
        values: list[str] = []
        for cell in row.findall("m:c", NS):
            col = column_index(cell.get("r", "A"))
            kind = cell.get("t", "n")
            raw = cell.findtext("m:v", default="", namespaces=NS)
            if kind == "s" and raw:
                text = strings[int(raw)]
            elif kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
            elif kind == "b":
                text = "TRUE" if raw == "1" else "FALSE"
            else:
                text = raw
                if raw and int(cell.get("s", "0")) in dates:
                    moment = datetime(1899, 12, 30) + timedelta(days=float(raw))
                    midnight = moment.time() == datetime.min.time()
                    text = moment.date().isoformat() if midnight else moment.isoformat()
                elif raw.endswith(".0"):
                    text = raw[:-2]
            values.extend([""] * (col - len(values)))
            values.append(text)
        index = int(row.get("r", len(rows) + 1)) - 1
        rows.extend([] for _ in range(index - len(rows)))
        rows.append(values)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("book")
    parser.add_argument("--list", action="store_true", help="list the sheet names and exit")
    parser.add_argument("--sheet", default="1", help="sheet name or 1-based number (default: the first)")
    parser.add_argument("--dates", action="store_true", help="write date-formatted cells as ISO dates")
    parser.add_argument("-o", "--out", help="output CSV (default: stdout)")
    args = parser.parse_args(argv)
    with zipfile.ZipFile(args.book) as book:
        found = sheets(book)
        if args.list:
            for number, (name, _) in enumerate(found, start=1):
                print(f"{number}\t{name}")
            return 0
        by_name = dict(found)
        if args.sheet in by_name:
            path = by_name[args.sheet]
        elif args.sheet.isdigit() and 1 <= int(args.sheet) <= len(found):
            path = found[int(args.sheet) - 1][1]
        else:
            print(f"error: no sheet {args.sheet!r}; sheets: {[n for n, _ in found]}", file=sys.stderr)
            return 1
        rows = read_sheet(book, path, args.dates)
    handle = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    try:
        csv.writer(handle).writerows(rows)
    finally:
        if args.out:
            handle.close()
    if args.out:
        print(f"wrote {args.out}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
