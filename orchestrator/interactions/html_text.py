"""A web page's readable text for the model, with the standard library's `html.parser`.

Simple on purpose: the text of the page without scripts, styles and other non-text elements, a new
line at each block element, runs of blanks collapsed. The parser never fetches anything (no
entities from outside, no scripts), and its output is capped by the caller's `limit`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_text"]

_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object"})
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "pre",
        "blockquote",
        "table",
        "ul",
        "ol",
        "header",
        "footer",
        "title",
        "dd",
        "dt",
    }
)


class _Text(HTMLParser):
    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.skipping: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIPPED:
            self.skipping.append(tag)
        elif tag in _BLOCKS:
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        elif tag in _BLOCKS:
            self._add("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self.skipping:
            self._add(data)

    def _add(self, text: str) -> None:
        if self.size < self.limit:
            self.parts.append(text)
            self.size += len(text)


def html_text(html: str, limit: int) -> str:
    """The page's title and text, at most about `limit` characters."""
    parser = _Text(limit)
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()[:limit]
    title = " ".join(parser.title.split())[:500]
    return f"{title}\n\n{body}" if title else body
