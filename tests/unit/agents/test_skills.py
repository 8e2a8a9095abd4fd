"""Skills: SKILL.md validation, discovery, the load_skill tool, and the bundled skills and their scripts."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from agents.skills import SkillError, discover, load_skill, parse_skill_md
from agents.tools import Toolbox, ToolboxConfig

from .conftest import CHROMIUM, SKILLS

GOOD = "---\nname: my-skill\ndescription: Does a thing. Use when things.\n---\n\n# Steps\n\nDo it.\n"


def _run(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(script), *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


def test_a_good_skill_parses() -> None:
    skill = parse_skill_md(GOOD, "my-skill")
    assert (skill.name, skill.description, skill.body) == (
        "my-skill",
        "Does a thing. Use when things.",
        "# Steps\n\nDo it.",
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("# no front matter\n", "must start with YAML front matter"),
        ("---\nname: [unclosed\n---\nbody\n", "not valid YAML"),
        ("---\n- a\n- b\n---\nbody\n", "must be a YAML mapping"),
        ("---\ndescription: d\n---\nbody\n", "`name` is required"),
        ("---\nname: My_Skill\ndescription: d\n---\nbody\n", "lowercase letters, digits and hyphens"),
        ("---\nname: -lead\ndescription: d\n---\nbody\n", "not start or end with a hyphen"),
        ("---\nname: a--b\ndescription: d\n---\nbody\n", "two hyphens in a row"),
        (f"---\nname: {'a' * 65}\ndescription: d\n---\nbody\n", "the limit is 64"),
        (
            "---\nname: other-name\ndescription: d\n---\nbody\n",
            "must match the skill's folder name 'my-skill'",
        ),
        ("---\nname: my-skill\n---\nbody\n", "`description` is required"),
        ("---\nname: my-skill\ndescription: '   '\n---\nbody\n", "`description` is required"),
        (f"---\nname: my-skill\ndescription: {'d' * 1025}\n---\nbody\n", "the limit is 1024"),
        (
            "---\nname: my-skill\ndescription: d\nversion: 2\n---\nbody\n",
            "unknown front matter field(s) version",
        ),
        ("---\nname: my-skill\ndescription: d\nmetadata: [1]\n---\nbody\n", "`metadata` must be a mapping"),
        ("---\nname: my-skill\ndescription: d\n---\n\n", "no instructions"),
    ],
)
def test_malformed_skills_say_exactly_why(text: str, reason: str) -> None:
    with pytest.raises(SkillError) as caught:
        parse_skill_md(text, "my-skill")
    assert reason in str(caught.value)


def test_load_and_discover(tmp_path: Path) -> None:
    (tmp_path / "my-skill" / "scripts").mkdir(parents=True)
    (tmp_path / "my-skill" / "SKILL.md").write_text(GOOD)
    (tmp_path / "my-skill" / "scripts" / "run.py").write_text("print(1)\n")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "SKILL.md").write_text("---\nname: wrong\ndescription: d\n---\nbody\n")
    (tmp_path / "no-file").mkdir()
    assert [s.name for s in discover(tmp_path)] == ["my-skill"]
    assert load_skill(tmp_path / "my-skill").files() == ["SKILL.md", "scripts/run.py"]
    with pytest.raises(SkillError, match="skill 'broken': `name` 'wrong' must match"):
        load_skill(tmp_path / "broken")
    with pytest.raises(SkillError, match=r"SKILL\.md is missing"):
        load_skill(tmp_path / "no-file")
    assert discover(tmp_path / "absent") == []


async def test_load_skill_tool(workspace: Path) -> None:
    tools = Toolbox(ToolboxConfig(workspace=workspace, skills_root=SKILLS))
    result = await tools.call("load_skill", {"name": "data-analysis"})
    assert not result.is_error
    assert result.output.count("name: data-analysis") == 1 and "# Data analysis" in result.output
    assert f"- {SKILLS / 'data-analysis' / 'scripts' / 'chart.py'}" in result.output
    for name in ("nope", "../etc", "data-analysis/../web-research"):
        missing = await tools.call("load_skill", {"name": name})
        assert (
            missing.is_error
            and "Available skills: data-analysis, report-writing, web-research" in missing.output
        )


def test_bundled_skills_are_valid() -> None:
    names = [skill.name for skill in discover(SKILLS)]
    assert {"data-analysis", "web-research", "report-writing"} <= set(names)
    for folder in SKILLS.iterdir():
        if folder.is_dir():
            load_skill(folder)  # raises with the reason if malformed


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    rows = [("region", "month", "revenue", "when")]
    rows += [("North", "1", "1,200", "2024-01-05"), ("South", "1", "900", "2024-01-09")]
    rows += [("North", "2", "1500", "2024-02-01"), ("East", "2", "", "2024-02-11")]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_data_analysis_summary(sales: Path) -> None:
    script = SKILLS / "data-analysis" / "scripts" / "summarize_csv.py"
    summary = json.loads(_run(script, sales.name, "--json", cwd=sales.parent).stdout)
    columns = {c["name"]: c for c in summary["columns"]}
    assert summary["rows"] == 4
    assert columns["revenue"]["type"] == "integer" and columns["revenue"]["sum"] == 3600
    assert columns["revenue"]["missing"] == 1 and columns["when"]["type"] == "date"
    assert columns["region"]["top"][0] == ["North", 2]
    assert "| revenue | integer | 1 |" in _run(script, sales.name, cwd=sales.parent).stdout


def test_data_analysis_charts_are_valid_svg(sales: Path) -> None:
    import xml.etree.ElementTree as ET

    script = SKILLS / "data-analysis" / "scripts" / "chart.py"
    _run(
        script,
        "sales.csv",
        "--x",
        "region",
        "--y",
        "revenue",
        "--agg",
        "sum",
        "-o",
        "bar.svg",
        cwd=sales.parent,
    )
    _run(
        script,
        "sales.csv",
        "--x",
        "month",
        "--y",
        "revenue",
        "--kind",
        "line",
        "-o",
        "line.svg",
        cwd=sales.parent,
    )
    bar = ET.parse(sales.parent / "bar.svg").getroot()
    bars = [el for el in bar.iter("{http://www.w3.org/2000/svg}rect") if el.find("{*}title") is not None]
    assert [b.find("{*}title").text for b in bars] == ["North: 2700", "South: 900", "East: 0"]  # type: ignore[union-attr]
    line = ET.parse(sales.parent / "line.svg").getroot()
    assert line.find("{http://www.w3.org/2000/svg}polyline") is not None


def test_data_analysis_reads_xlsx(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} {rel}><sheets><sheet name="Data" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/sharedStrings.xml",
            f"<sst {ns}><si><t>city</t></si><si><t>pop</t></si><si><t>Oslo</t></si></sst>",
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet {ns}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
            '<c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c>'
            '<c r="B2"><v>709037.0</v></c></row></sheetData></worksheet>',
        )
    script = SKILLS / "data-analysis" / "scripts" / "xlsx_to_csv.py"
    assert _run(script, "book.xlsx", "--list", cwd=tmp_path).stdout.strip() == "1\tData"
    _run(script, "book.xlsx", "--sheet", "Data", "-o", "out.csv", cwd=tmp_path)
    assert (tmp_path / "out.csv").read_text().splitlines() == ["city,pop", "Oslo,709037"]


def test_web_research_notes(tmp_path: Path) -> None:
    script = SKILLS / "web-research" / "scripts" / "notes.py"
    first = _run(script, "add", "--url", "https://a.example/x", "--title", "A", "--quote", "q1", cwd=tmp_path)
    assert "cite it as [1]" in first.stdout
    assert (
        "cite it as [2]"
        in _run(script, "add", "--url", "https://b.example/", "--quote", "q2", cwd=tmp_path).stdout
    )
    assert "cite it as [1]" in _run(script, "add", "--url", "https://a.example/x", cwd=tmp_path).stdout
    sources = _run(script, "sources", cwd=tmp_path).stdout.splitlines()
    assert sources[2].startswith("1. A. <https://a.example/x>") and sources[3].startswith("2. b.example.")
    refused = subprocess.run(
        [sys.executable, str(script), "add", "--url", "nope"], cwd=tmp_path, capture_output=True
    )
    assert refused.returncode == 2


def test_report_writing_markdown_to_html(tmp_path: Path) -> None:
    (tmp_path / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    (tmp_path / "report.md").write_text(
        "# Sales *report*\n\nIntro with **bold** and `code <b>`.\n\n## Findings\n\n"
        "- one\n  - nested\n- two\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n![chart](chart.svg)\n\n"
        "<script>alert(1)</script> [x](javascript:alert(1))\n"
    )
    script = SKILLS / "report-writing" / "scripts" / "md_to_html.py"
    _run(script, "report.md", "--toc", "--embed-images", cwd=tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "<title>Sales report</title>" in page and '<h2 id="findings">Findings</h2>' in page
    assert "<strong>bold</strong>" in page and "<code>code &lt;b&gt;</code>" in page
    assert "<li>one<ul>\n<li>nested</li>\n</ul></li>" in page
    assert '<td style="text-align:right">2</td>' in page and 'src="data:image/svg+xml;base64,' in page
    assert "<script>" not in page and "javascript:" not in page and 'href="#findings"' in page


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium")
def test_report_writing_pdf(tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text("# Title\n\nBody.\n")
    _run(SKILLS / "report-writing" / "scripts" / "md_to_html.py", "r.md", "--pdf", "r.pdf", cwd=tmp_path)
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_a_changed_skill_is_read_again(tmp_path: Path) -> None:
    """Parses are remembered by the file's text, so an edited SKILL.md is never served stale."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for description in ("First words.", "Second words."):
        (folder / "SKILL.md").write_text(f"---\nname: notes\ndescription: {description}\n---\nBody.\n")
        assert load_skill(folder).description == description
        assert [skill.description for skill in discover(tmp_path)] == [description]
