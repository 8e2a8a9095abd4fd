"""docs/clients.md shows the snippets tests/partners runs, byte for byte (issue 22 item 4).

Each code block is announced by `<!-- snippet: <path> -->`; the block must equal that file, and every
snippet file must appear, so the doc cannot drift from the code the partner suite executes (and from
the MCP client configurations `tests/cli/test_mcp_*.py` connect with).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "clients.md"
_BLOCK = re.compile(r"<!-- snippet: (?P<path>\S+) -->\n```\w*\n(?P<code>.*?)\n```\n", re.DOTALL)


def _snippet_files() -> set[str]:
    partners = ROOT / "tests" / "partners"
    files = [*partners.glob("snippets/*_quickstart.py"), *partners.glob("js/*_quickstart.mjs")]
    files += (ROOT / "tests" / "cli" / "snippets").glob("mcp_*.json")  # the MCP configs tests/cli uses
    return {str(f.relative_to(ROOT)) for f in files}


def test_every_code_block_is_the_file_it_names() -> None:
    blocks = list(_BLOCK.finditer(DOC.read_text()))
    assert blocks, "no snippet blocks found"
    for block in blocks:
        path = ROOT / block["path"]
        assert path.is_file(), f"{block['path']} does not exist"
        assert block["code"] == path.read_text().rstrip("\n"), (
            f"the doc's {block['path']} differs from the file"
        )


def test_every_snippet_the_suite_runs_is_in_the_doc() -> None:
    shown = {block["path"] for block in _BLOCK.finditer(DOC.read_text())}
    assert shown == _snippet_files()
    assert DOC.read_text().count("```") == 2 * len(shown), "every code block is a tested snippet"
