"""Drift tables: one per stack (component, check, status, expected, actual), then each drift in full."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from harness.verify.model import InstanceReport, Status

_WIDTH = 46


def show(value: Any) -> str:
    """A compact one-line rendering of an expected or actual value."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


def _cut(text: str, width: int = _WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def summary(reports: Iterable[InstanceReport]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "undetermined": 0}
    for report in reports:
        for result in report.results:
            counts[result.status.value] += 1
    return counts


def render_table(reports: list[InstanceReport]) -> str:
    """Per stack: a table of every check, then the drift (failed checks) with expected and actual in full."""
    lines: list[str] = []
    for stack, group in groupby(sorted(reports, key=lambda r: (r.stack, r.component)), key=lambda r: r.stack):
        items = list(group)
        accounts = sorted({r.account_id for r in items if r.account_id})
        lines.append(f"stack {stack} (account {', '.join(accounts) or 'unknown'})")
        rows = [("COMPONENT", "CHECK", "STATUS", "EXPECTED", "ACTUAL")]
        for report in items:
            if report.note:
                rows.append((report.component, "-", "-", report.note, ""))
            for result in report.results:
                actual = f"({result.reason})" if result.status is Status.UNDETERMINED else show(result.actual)
                rows.append((report.component, result.check, result.status.value.upper(),
                             _cut(show(result.expected)), _cut(actual, 60)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
        sources = sorted({f"{r.component}: {r.outputs_source}" for r in items if r.outputs_source != "-"})
        if sources:
            lines.append("  outputs: " + "; ".join(sources))
        lines.append("")
    counts = summary(reports)
    lines.append(f"{sum(counts.values())} checks: {counts['pass']} pass, {counts['fail']} drift, "
                 f"{counts['undetermined']} undetermined")
    drift = [(r, c) for r in reports for c in r.drift]
    if drift:
        lines.append("")
        lines.append("DRIFT:")
        for report, result in drift:
            lines.append(f"  {report.stack} {report.component} {result.check}:")
            lines.append(f"    expected: {show(result.expected)}")
            lines.append(f"    actual:   {show(result.actual)}")
            if isinstance(result.expected, list) and isinstance(result.actual, list):
                missing = [show(v) for v in result.expected if v not in result.actual]
                unexpected = [show(v) for v in result.actual if v not in result.expected]
                if missing:
                    lines.append(f"    missing:    {'; '.join(missing)}")
                if unexpected:
                    lines.append(f"    unexpected: {'; '.join(unexpected)}")
    return "\n".join(lines)


def render_json(reports: list[InstanceReport]) -> str:
    return json.dumps({"summary": summary(reports), "instances": [r.to_json() for r in reports]}, indent=2,
                      sort_keys=False, default=str)
