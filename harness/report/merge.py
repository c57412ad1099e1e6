"""Joining shard reports: the merge of the K/N reports of one run equals the report of the whole run.

Shards partition the tests, so joining is a union; what a union cannot know is recomputed
(instances, summary, durations). Where the inputs overlap, the join picks deterministically, so the
order of the inputs never matters: a test keeps its worse outcome, a waiver its most severe state
(expired > used > stale; a stack-wide waiver one shard did not use but another did is not stale).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.report.model import Report, ReportError, TestRecord, combine_waivers, load_report, parse_shard


def _merge_value(values: list[Any]) -> Any:
    """One environment value from many: equal values stay, different ones are listed (sorted, comma-joined)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, Mapping) for v in present):
        keys = sorted({k for v in present for k in v})
        return {k: _merge_value([v.get(k) for v in present]) for k in keys}
    distinct = sorted({v if isinstance(v, str) else json.dumps(v, sort_keys=True) for v in present})
    if len(distinct) == 1:
        return present[0]
    return ", ".join(distinct)


def merge_environments(environments: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Union of the inputs' environments; engines and providers merge key by key."""
    keys = sorted({k for env in environments for k in env})
    return {k: _merge_value([env.get(k) for env in environments]) for k in keys}


def merge_runs(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The run facts of a joined report: any shard's usage error, interruption or dirty tree counts for the
    whole; differing commits (or thresholds) are listed, so the gate sees that the shards disagree."""
    present = [r for r in runs if r]
    if not present:
        return {}
    out: dict[str, Any] = {}
    for key in ("commit", "ref", "fail_on"):
        value = _merge_value([r.get(key) for r in present])
        if value is not None or any(key in r for r in present):
            out[key] = value
    for key in ("dirty", "usage_error", "interrupted"):
        values = [r[key] for r in present if r.get(key) is not None]
        if values or any(key in r for r in present):
            out[key] = any(values) if values else None
    statuses = [int(r["exit_status"]) for r in present if r.get("exit_status") is not None]
    if statuses or any("exit_status" in r for r in present):
        out["exit_status"] = max(statuses) if statuses else None
    if any("collection_errors" in r for r in present):
        out["collection_errors"] = sum(int(r.get("collection_errors") or 0) for r in present)
    return out


def missing_shards(shards: Sequence[str | None]) -> list[str]:
    """Shards ``K/N`` absent for each N seen among the inputs (full-run inputs count for nothing)."""
    seen: dict[int, set[int]] = {}
    for text in shards:
        parsed = parse_shard(text)
        if parsed is not None:
            seen.setdefault(parsed[1], set()).add(parsed[0])
    return [f"{k}/{n}" for n, ks in sorted(seen.items()) for k in range(1, n + 1) if k not in ks]


def merge_reports(reports: Sequence[Report], *, require_complete: bool = True) -> Report:
    """Join reports into one full-run report (``shard`` None); incomplete shard sets are an error by default."""
    if not reports:
        raise ReportError("nothing to merge: give at least one report")
    missing = missing_shards([r.shard for r in reports])
    if missing and require_complete:
        raise ReportError(f"shard report(s) missing: {', '.join(missing)} "
                          "(a merged report would silently lack their tests)")
    tests: dict[str, TestRecord] = {}
    for report in reports:
        for test in report.tests:
            previous = tests.get(test.nodeid)
            tests[test.nodeid] = test if previous is None else previous.worse(test)
    findings: dict[str, dict[str, Any]] = {}
    for report in reports:
        for finding in report.findings:
            findings.setdefault(json.dumps(finding, sort_keys=True), finding)
    return Report(
        created=max(r.created for r in reports),
        environment=merge_environments([r.environment for r in reports]),
        shard=None,
        tests=[tests[k] for k in sorted(tests)],
        findings=[findings[k] for k in sorted(findings)],
        waivers=combine_waivers(w for r in reports for w in r.waivers),
        retries=sum(r.retries for r in reports),
        run=merge_runs([r.run for r in reports]),
    )


def merge_files(out: str | Path, inputs: Sequence[str | Path], *, require_complete: bool = True) -> Report:
    """Load, join and write (atomically) the merged report."""
    reports = [load_report(p) for p in inputs]
    try:
        merged = merge_reports(reports, require_complete=require_complete)
    except ReportError as exc:
        raise ReportError(f"{exc.message} (inputs: {', '.join(str(p) for p in inputs)})") from None
    merged.write(out)
    return merged
