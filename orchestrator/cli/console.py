"""Where the CLI writes (data to stdout, progress and errors to a stderr console), and how text from
models, sandboxes and servers is made inert before it reaches a terminal."""

import re

from rich.console import Console
from rich.markup import escape

__all__ = ["err", "literal", "out", "printable"]

out = Console()
err = Console(stderr=True)

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters but tab and newline (escape sequences, carriage return), C1 controls, Unicode line
separators and bidi overrides."""


def printable(text: object) -> str:
    """`text` with control characters and bidi overrides spelled out (`\\x1b`, `\\u202e`).

    Untrusted text then cannot move the cursor, recolour or retitle the terminal, write the clipboard
    (OSC 52), overwrite an earlier line with a carriage return, or reorder what the reader sees.
    """
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def literal(text: object) -> str:
    """`printable(text)` with Rich markup escaped: safe to put inside a markup string."""
    return escape(printable(text))
