"""The Markdown rendering: the stack x component matrix, failures and findings, safely escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.report import render_markdown

from .conftest import Run, T, finding
from .test_merge import cli


def table_rows(text: str, header_start: str) -> list[list[str]]:
    """The cells of the Markdown table whose header row starts with ``header_start`` (header first)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").replace("\\|", "\0").split("|")]
        rows.append([c.replace("\0", "\\|") for c in cells])
    return [rows[0], *rows[2:]]  # drop the alignment row


def test_matrix_rows_are_stacks_columns_components_cells_status_and_counts(run: Run) -> None:
    text = render_markdown(run.report())
    header, *rows = table_rows(text, "| stack \\ component")
    assert header == ["stack \\ component", "iam\\_role", "log\\_bucket", "vpc"]
    assert rows == [
        ["**core-ue1-prod**", "⏭ 0/1", "❔ 1/2 ?1", "—"],
        ["**plat-ue1-dev**", "—", "❌ 2/2 ⚑1", "✅ 2/2"],
        ["**plat-ue1-prod**", "—", "✅ 2/2", "❌ 1/2 ⚑1"],
    ]
    assert text.startswith("## Harness report: ❌ 1 failed test(s), 2 failing finding(s)\n")
    assert "**12** tests: ✅ 9 passed · ❌ 1 failed" in text
    assert "engines: static (5), terraform (1)" in text


def test_failures_and_findings_are_listed(run: Run) -> None:
    text = render_markdown(run.report())
    failures = text.split("### Failures (1)", 1)[1].split("###", 1)[0]
    assert "- ❌ `tests/unit/components/test_vpc.py::test_flow_logs[plat-ue1-prod]` — AssertionError" in failures
    assert "```text\n  def test_flow_logs(plan):" in failures
    header, *rows = table_rows(text, "| severity | status | policy")
    assert header[:3] == ["severity", "status", "policy"]
    assert [r[0] for r in rows] == ["high", "low"]  # worst first
    assert rows[0][2:5] == ["`network.flow-logs`", "`plat-ue1-prod/vpc`", "`aws_vpc.this`"]
    assert rows[0][6] == "CIS-AWS-3.9"
    assert "Undetermined and waived findings (2)" in text
    assert "- **stale**: `network.*` on `aws_s3_bucket.*` in `plat-ue1-dev`" in text


def test_hostile_content_cannot_inject_markup_or_break_the_table() -> None:
    evil = "<script>alert(1)</script> | col [x](http://evil) `code`"
    run = Run(tests=[T("test_x", "plat-ue1-prod", "vpc", outcome="failed", reason=evil, longrepr="```\n" + evil)],
              findings=[finding("p.x", "high", "plat-ue1-prod", "vpc", "a.b", message=evil)])
    text = render_markdown(run.report())
    outside_code = re.sub(r"````text\n.*?\n\s*````", "", text, flags=re.S)
    assert "<script>" not in outside_code and "](http" not in outside_code
    header, *rows = table_rows(text, "| severity | status | policy")
    assert all(len(r) == len(header) for r in rows)
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| col \\[x\\]\\(http://evil\\)" in rows[0][-1]
    failure_line = next(line for line in text.splitlines() if line.startswith("- ❌"))
    assert "<script>" not in failure_line
    assert "````text" in text  # the traceback's own ``` cannot close the fence early


def test_long_lists_are_cut(run: Run) -> None:
    many = Run(tests=[T(f"test_{i}", "s", "c", outcome="failed", reason="r") for i in range(30)])
    text = render_markdown(many.report(), max_items=5)
    assert text.count("- ❌") == 5 and "… and 25 more" in text


def test_markdown_cli_writes_a_file(run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = run.write(tmp_path / "r.json")
    assert cli("report", "markdown", str(path), "-o", str(tmp_path / "summary.md")) == 0
    assert (tmp_path / "summary.md").read_text() == render_markdown(run.report())
    assert cli("report", "markdown", str(path), "--title", "PR #12") == 0
    assert capsys.readouterr().out.startswith("## PR \\#12: ❌")


def test_the_commit_the_run_tested_is_shown(run: Run) -> None:
    from harness.report import render_html

    tested = run.but(run={"commit": "0123456789abcdef0123", "ref": "release/1.2", "dirty": True})
    assert r"commit 0123456789ab \(release/1.2, dirty\)" in render_markdown(tested.report())
    assert "commit 0123456789ab (release/1.2, dirty)" in render_html(tested.report())
    assert "commit " not in render_markdown(run.report()).split("\n\n", 2)[1]
