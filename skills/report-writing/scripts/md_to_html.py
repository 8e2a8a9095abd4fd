#!/usr/bin/env python3
"""Convert a Markdown report to one styled, self-contained HTML file (standard library only).

Usage: md_to_html.py REPORT.md [-o REPORT.html] [--title T] [--toc] [--embed-images] [--css FILE]
                     [--pdf REPORT.pdf]

Supports headings, paragraphs, **bold**, *italic*, `code`, fenced code blocks, links, images,
nested lists, task lists, block quotes, horizontal rules and pipe tables. Raw HTML in the
Markdown is shown as text (escaped), never executed. --pdf prints the HTML with headless Chromium.
"""

from __future__ import annotations

import argparse
import base64
import html
import mimetypes
import os
import re
import subprocess
import sys
from pathlib import Path

CSS = (Path(__file__).resolve().parent.parent / "assets" / "report.css").read_text(encoding="utf-8")
SAFE_URL = re.compile(r"^(https?:|mailto:|#|data:image/|[^:]*$)", re.IGNORECASE)
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+&quot;([^&]*)&quot;)?\)")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)(?:\s+&quot;([^&]*)&quot;)?\)")
AUTOLINK = re.compile(r"&lt;(https?://[^\s&]+)&gt;")
BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


class Converter:
    """Markdown to HTML for reports; collects headings for an optional table of contents."""

    def __init__(self, base: Path, embed_images: bool) -> None:
        self.base = base
        self.embed = embed_images
        self.headings: list[tuple[int, str, str]] = []

    def url(self, raw: str, image: bool = False) -> str:
        target = html.unescape(raw)
        if not SAFE_URL.match(target):
            return "#"
        if image and self.embed and not re.match(r"^[a-z]+:", target, re.I):
            path = (self.base / target).resolve()
            if path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
        return html.escape(target, quote=True)

    def inline(self, text: str) -> str:
        spans: list[str] = []

        def stash(match: re.Match[str]) -> str:
            spans.append(f"<code>{html.escape(match.group(2).strip())}</code>")
            return f"\x00{len(spans) - 1}\x00"

        text = html.escape(CODE_SPAN.sub(stash, text), quote=True)
        text = IMAGE.sub(
            lambda m: (
                f'<img src="{self.url(m.group(2), True)}" alt="{m.group(1)}"'
                + (f' title="{m.group(3)}"' if m.group(3) else "")
                + ">"
            ),
            text,
        )
        text = LINK.sub(lambda m: f'<a href="{self.url(m.group(2))}">{m.group(1)}</a>', text)
        text = AUTOLINK.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', text)
        text = BOLD.sub(r"<strong>\2</strong>", text)
        text = ITALIC.sub(r"<em>\2</em>", text)
        text = STRIKE.sub(r"<del>\1</del>", text)
        text = re.sub(r"  $", "<br>", text, flags=re.M)
        return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)

    def anchor(self, text: str) -> str:
        slug = (
            re.sub(r"[^\w\- ]", "", re.sub(r"<[^>]+>", "", text)).strip().lower().replace(" ", "-")
            or "section"
        )
        taken = {h[1] for h in self.headings}
        candidate, n = slug, 2
        while candidate in taken:
            candidate, n = f"{slug}-{n}", n + 1
        return candidate

    def convert(self, markdown: str) -> str:
        lines = markdown.replace("\r\n", "\n").replace("\t", "    ").split("\n")
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if not stripped:
                i += 1
            elif stripped.startswith(("```", "~~~")):
                fence, lang = stripped[:3], stripped[3:].strip()
                body = []
                i += 1
                while i < len(lines) and not lines[i].strip().startswith(fence):
                    body.append(lines[i])
                    i += 1
                i += 1
                cls = f' class="language-{html.escape(lang)}"' if lang else ""
                out.append(f"<pre><code{cls}>{html.escape(chr(10).join(body))}</code></pre>")
            elif match := re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", stripped):
                level, content = len(match.group(1)), self.inline(match.group(2))
                ident = self.anchor(content)
                self.headings.append((level, ident, content))
                out.append(f'<h{level} id="{ident}">{content}</h{level}>')
                i += 1
            elif re.match(r"^(\*\s*){3,}$|^(-\s*){3,}$|^(_\s*){3,}$", stripped):
                out.append("<hr>")
                i += 1
            elif stripped.startswith(">"):
                quoted = []
                while i < len(lines) and lines[i].strip().startswith(">"):
                    quoted.append(re.sub(r"^\s*>\s?", "", lines[i]))
                    i += 1
                out.append(f"<blockquote>\n{self.convert(chr(10).join(quoted))}\n</blockquote>")
            elif "|" in stripped and i + 1 < len(lines) and TABLE_RULE.match(lines[i + 1]):
                i = self.table(lines, i, out)
            elif LIST_ITEM.match(line):
                i = self.list_block(lines, i, out)
            else:
                para = []
                while i < len(lines) and lines[i].strip() and not self.starts_block(lines, i):
                    para.append(lines[i].strip() + ("  " if lines[i].endswith("  ") else ""))
                    i += 1
                out.append(f"<p>{self.inline(chr(10).join(para))}</p>")
        return "\n".join(out)

    @staticmethod
    def starts_block(lines: list[str], i: int) -> bool:
        s = lines[i].strip()
        return bool(
            s.startswith(("#", "```", "~~~", ">"))
            or LIST_ITEM.match(lines[i])
            or ("|" in s and i + 1 < len(lines) and TABLE_RULE.match(lines[i + 1]))
        )

    def list_block(self, lines: list[str], i: int, out: list[str]) -> int:
        first = LIST_ITEM.match(lines[i])
        assert first is not None
        indent = len(first.group(1))
        ordered = first.group(2)[0].isdigit()
        items: list[str] = []
        while i < len(lines):
            match = LIST_ITEM.match(lines[i])
            if not match or len(match.group(1)) != indent:
                break
            body, i = [match.group(3)], i + 1
            while i < len(lines) and lines[i].strip():
                nested = LIST_ITEM.match(lines[i])
                if nested and len(nested.group(1)) <= indent:
                    break
                body.append(lines[i][indent + 2 :] if nested else lines[i].strip())
                i += 1
            text = body[0]
            check = re.match(r"^\[([ xX])\]\s+(.*)$", text)
            prefix = ""
            if check:
                prefix = f'<input type="checkbox" disabled{" checked" if check.group(1) != " " else ""}> '
                text = check.group(2)
            rest = self.convert("\n".join(body[1:])) if len(body) > 1 else ""
            items.append(f"<li>{prefix}{self.inline(text)}{rest}</li>")
            if i < len(lines) and not lines[i].strip():
                following = LIST_ITEM.match(lines[i + 1]) if i + 1 < len(lines) else None
                if following and len(following.group(1)) == indent:
                    i += 1
        tag = "ol" if ordered else "ul"
        out.append(f"<{tag}>\n" + "\n".join(items) + f"\n</{tag}>")
        return i

    def table(self, lines: list[str], i: int, out: list[str]) -> int:
        def cells(row: str) -> list[str]:
            row = row.strip().removeprefix("|").removesuffix("|")
            return [c.strip() for c in re.split(r"(?<!\\)\|", row)]

        header = cells(lines[i])
        aligns = []
        for rule in cells(lines[i + 1]):
            left, right = rule.startswith(":"), rule.endswith(":")
            aligns.append("center" if left and right else "right" if right else "left" if left else "")
        i += 2

        def row_html(values: list[str], tag: str) -> str:
            parts = []
            for n, value in enumerate(values[: len(header)] + [""] * (len(header) - len(values))):
                style = f' style="text-align:{aligns[n]}"' if n < len(aligns) and aligns[n] else ""
                parts.append(f"<{tag}{style}>{self.inline(value)}</{tag}>")
            return "<tr>" + "".join(parts) + "</tr>"

        body = []
        while i < len(lines) and "|" in lines[i] and lines[i].strip():
            body.append(row_html(cells(lines[i]), "td"))
            i += 1
        out.append(
            f"<table>\n<thead>{row_html(header, 'th')}</thead>\n<tbody>\n"
            + "\n".join(body)
            + "\n</tbody>\n</table>"
        )
        return i


def render(markdown: str, base: Path, title: str | None, toc: bool, embed: bool, extra_css: str) -> str:
    converter = Converter(base, embed)
    body = converter.convert(markdown)
    first = next((h for h in converter.headings if h[0] == 1), None)
    page_title = title or (re.sub(r"<[^>]+>", "", first[2]) if first else "Report")
    contents = ""
    if toc and converter.headings:
        entries = [
            f'<li class="toc-{lvl}"><a href="#{ident}">{text}</a></li>'
            for lvl, ident, text in converter.headings
            if lvl in (2, 3)
        ]
        contents = '<nav class="toc"><h2>Contents</h2><ul>\n' + "\n".join(entries) + "\n</ul></nav>\n"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(html.unescape(page_title))}</title>\n<style>\n{CSS}\n{extra_css}</style>\n</head>\n"
        f"<body>\n<main>\n{contents}{body}\n</main>\n</body>\n</html>\n"
    )


def print_pdf(html_path: Path, pdf_path: Path) -> int:
    chromium = os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium")
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri(),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"error: could not run {chromium}: {exc}", file=sys.stderr)
        return 1
    if not pdf_path.is_file():
        print(f"error: chromium did not write the PDF: {done.stderr.strip()[-500:]}", file=sys.stderr)
        return 1
    print(f"wrote {pdf_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("markdown", type=Path)
    parser.add_argument("-o", "--out", type=Path, help="output HTML (default: next to the input)")
    parser.add_argument("--title", help="page title (default: the first # heading)")
    parser.add_argument("--toc", action="store_true", help="add a table of contents of ## and ### headings")
    parser.add_argument("--embed-images", action="store_true", help="inline local images as data URIs")
    parser.add_argument("--css", type=Path, help="extra CSS appended to the built-in style")
    parser.add_argument("--pdf", type=Path, help="also print the HTML to this PDF with headless Chromium")
    args = parser.parse_args(argv)
    source: Path = args.markdown
    out: Path = args.out or source.with_suffix(".html")
    extra = args.css.read_text(encoding="utf-8") if args.css else ""
    page = render(
        source.read_text(encoding="utf-8"), source.parent, args.title, args.toc, args.embed_images, extra
    )
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out}")
    return print_pdf(out, args.pdf) if args.pdf else 0


if __name__ == "__main__":
    sys.exit(main())
