"""The report as GitHub-flavoured Markdown: for a PR comment or ``$GITHUB_STEP_SUMMARY``.

Everything from the report is escaped: GitHub renders HTML inside Markdown, and a stack name,
test id or policy message must not be able to inject markup or break the table.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from harness.report.matrix import ICONS, LABELS, build_matrix
from harness.report.model import NOT_DEPLOYED, Report, TestRecord, severity_rank

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~>])")
#: GitHub rejects comments over 65536 characters; keep well under.
MAX_CHARS = 60_000


def md_text(value: Any) -> str:
    """Plain text safe in Markdown and in a table cell: HTML escaped, Markdown syntax and pipes backslashed."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def md_code(value: Any) -> str:
    """Inline code safe in a table cell (code spans show HTML literally; backticks and pipes need care)."""
    text = " ".join(str(value).split()).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else ""


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def _severity_counts(counts: Mapping[str, int]) -> str:
    parts = [f"{n} {sev}" for sev, n in counts.items() if n]
    return f" ({', '.join(parts)})" if parts else ""


def summary_line(report: Report) -> str:
    """One line of counts: tests, findings, waivers, retries, engines, shard."""
    summary = report.summary()
    tests = summary["tests"]
    findings = summary["findings"]
    waivers = summary["waivers"]
    parts = [
        f"**{tests['total']}** tests: {ICONS['passed']} {tests['passed']} passed · {ICONS['failed']} "
        f"{tests['failed']} failed · 💥 {tests['error']} error · {ICONS['undetermined']} "
        f"{tests['undetermined']} undetermined · {ICONS['skipped']} {tests['skipped']} skipped",
        f"findings: {findings['fail']} failing{_severity_counts(findings['fail_by_severity'])} · "
        f"{findings['undetermined']} undetermined · {findings['waived']} waived",
        f"waivers: {waivers['used']} used · {waivers['expired']} expired · {waivers['stale']} stale",
        f"retries: {summary['retries']}",
    ]
    engines: dict[str, int] = {}
    for engine in report.engines.values():
        engines[engine] = engines.get(engine, 0) + 1
    if engines:
        parts.append("engines: " + ", ".join(f"{md_text(e)} ({n})" for e, n in sorted(engines.items())))
    if report.shard:
        parts.append(f"shard {md_text(report.shard)}")
    commit = report.commit_label()
    if commit:
        parts.append(md_text(commit))
    return " — ".join(parts)


def _verdict(report: Report) -> str:
    summary = report.summary()
    if summary["ok"]:
        return f"{ICONS['passed']} passed"
    problems = []
    failed = summary["tests"]["failed"] + summary["tests"]["error"]
    if failed:
        problems.append(f"{failed} failed test(s)")
    if summary["findings"]["fail"]:
        problems.append(f"{summary['findings']['fail']} failing finding(s)")
    if summary["waivers"]["expired"]:
        problems.append(f"{summary['waivers']['expired']} expired waiver(s)")
    return f"{ICONS['failed']} " + ", ".join(problems)


def matrix_table(report: Report) -> list[str]:
    """The stack x component table (rows stacks, columns components)."""
    matrix = build_matrix(report)
    if not matrix.stacks:
        return ["_No instance ran._"]
    lines = ["| stack \\ component | " + " | ".join(md_text(c) for c in matrix.components) + " |",
             "| --- |" + " :-: |" * len(matrix.components)]
    for stack, row in zip(matrix.stacks, matrix.rows, strict=True):
        lines.append(f"| **{md_text(stack)}** | " + " | ".join(cell.text for cell in row) + " |")
    legend = " · ".join(f"{ICONS[s]} {LABELS[s]}" for s in ("passed", "failed", "undetermined", "skipped",
                                                             NOT_DEPLOYED))
    lines += ["", f"<sub>{legend}. Counts: passed/total tests, ⚑ failing findings, ? undetermined findings."
                  "</sub>"]
    return lines


def _limited(items: list[Any], limit: int) -> tuple[list[Any], int]:
    return items[:limit], max(0, len(items) - limit)


def _test_lines(tests: Iterable[TestRecord], *, details: bool) -> list[str]:
    lines: list[str] = []
    for test in tests:
        icon = "💥" if test.outcome == "error" else ICONS.get(test.outcome, "")
        reason = f" — {md_text(test.reason)}" if test.reason else ""
        lines.append(f"- {icon} {md_code(test.nodeid)}{reason}")
        if details and test.longrepr:
            lines += ["  <details><summary>details</summary>", "", *(
                "  " + line for line in _fence(test.longrepr).splitlines()), "", "  </details>"]
    return lines


def findings_table(findings: list[dict[str, Any]]) -> list[str]:
    """Findings as a table: severity, status, policy, instance, address, location, controls, message."""
    lines = ["| severity | status | policy | instance | address | location | controls | message |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for f in findings:
        location = f["file"] + (f":{f['line']}" if f.get("line") else "") if f.get("file") else ""
        lines.append("| " + " | ".join([
            md_text(f["severity"]), md_text(f["status"]), md_code(f["policy"]),
            md_code(f"{f['stack']}/{f['component']}"), md_code(f["address"] or "(plan)"), md_code(location),
            md_text(", ".join(f["controls"])), md_text(f["message"]),
        ]) + " |")
    return lines


def render_markdown(report: Report, *, title: str = "Harness report", max_items: int = 50) -> str:
    """The whole Markdown document: verdict, counts, matrix, failures, findings, undetermined, waivers.

    Lists are cut at ``max_items``; when the document would still exceed what GitHub accepts in a
    comment, the lists are shortened further (never cut mid-markup).
    """
    while True:
        text = _render(report, title, max_items)
        if len(text) <= MAX_CHARS or max_items <= 1:
            return text
        max_items //= 2


def _render(report: Report, title: str, max_items: int) -> str:
    tests = report.sorted_tests()
    failures = [t for t in tests if t.outcome in ("failed", "error")]
    undetermined = [t for t in tests if t.outcome == "undetermined"]
    findings = sorted(report.sorted_findings(), key=lambda f: -severity_rank(f["severity"]))
    failing = [f for f in findings if f["status"] == "fail"]
    other = [f for f in findings if f["status"] != "fail"]
    out = [f"## {md_text(title)}: {_verdict(report)}", "", summary_line(report), "", *matrix_table(report)]

    shown, more = _limited(failures, max_items)
    out += ["", f"### Failures ({len(failures)})", ""]
    out += _test_lines(shown, details=True) if failures else ["None."]
    if more:
        out.append(f"- … and {more} more")

    shown_f, more = _limited(failing, max_items)
    out += ["", f"### Failing findings ({len(failing)})", ""]
    out += findings_table(shown_f) if failing else ["None."]
    if more:
        out += ["", f"… and {more} more"]
    if other:
        shown_o, more = _limited(other, max_items)
        out += ["", f"<details><summary>Undetermined and waived findings ({len(other)})</summary>", "",
                *findings_table(shown_o), *(["", f"… and {more} more"] if more else []), "", "</details>"]

    if undetermined:
        shown_u, more = _limited(undetermined, max_items)
        out += ["", f"<details><summary>Undetermined tests ({len(undetermined)}): values known only after apply"
                    "</summary>", "", *_test_lines(shown_u, details=False),
                *([f"- … and {more} more"] if more else []), "", "</details>"]

    expired = report.waivers_with("expired")
    stale = report.waivers_with("stale")
    if expired or stale:
        out += ["", "### Waivers", ""]
        for label, items in (("expired", expired), ("stale", stale)):
            for w in items:
                scope = f"{w['stack']}" + (f"/{w['component']}" if w.get("component") else "")
                ticket = f" ({md_text(w['ticket'])})" if w.get("ticket") else ""
                out.append(f"- **{label}**: {md_code(w['policy'])} on {md_code(', '.join(w['resources']))} in "
                           f"{md_code(scope)}, expires {md_text(w.get('expires') or '?')}{ticket}: "
                           f"{md_text(w['reason'])}")
    return "\n".join(out) + "\n"
