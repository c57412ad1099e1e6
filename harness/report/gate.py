"""The release gate: one verdict from a (merged) report, optionally against the last release's report.

A release passes only when no test failed or errored, no waiver has expired, and no policy finding
fails at or above the threshold severity. A baseline does not excuse anything; it sorts what
blocks into *new* (not in the baseline) and *known* (already there), so a release manager sees at
once what this change broke. ``fail_on_new`` adds a ratchet: any new failing finding blocks, whatever
its severity. A shard report is refused unless allowed: it holds only part of the run.

The gate also refuses a report that proves nothing, each time with a one-line reason: one in which no
test ran or no instance was tested; one without policy and contract results (the plugin's built-in
items; ``allow_no_policies`` accepts it on purpose); one made at another commit than the one released,
from a dirty work tree, or that does not say its commit (``allow_commit_mismatch``); and one whose run
had a usage error, collection errors or was interrupted. The threshold is the run's own
(``settings.harness.fail_on``, recorded in the report) unless the caller gives one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.report.model import (
    EXPIRED_WAIVER_POLICY,
    OUTCOMES,
    SEVERITIES,
    Report,
    TestRecord,
    finding_key,
    severity_rank,
)
from harness.thresholds import DEFAULT_FAIL_ON


@dataclass
class GateResult:
    """The verdict and everything that explains it."""

    passed: bool
    threshold: str
    reasons: list[str]
    has_baseline: bool
    new_failures: list[TestRecord] = field(default_factory=list)
    known_failures: list[TestRecord] = field(default_factory=list)
    fixed_failures: list[str] = field(default_factory=list)
    new_findings: list[dict[str, Any]] = field(default_factory=list)
    known_findings: list[dict[str, Any]] = field(default_factory=list)
    below_threshold: list[dict[str, Any]] = field(default_factory=list)
    fixed_findings: list[dict[str, Any]] = field(default_factory=list)
    expired_waivers: list[dict[str, Any]] = field(default_factory=list)
    stale_waivers: list[dict[str, Any]] = field(default_factory=list)
    undetermined_tests: int = 0
    undetermined_findings: int = 0
    shard: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    report_path: str | None = None
    baseline_path: str | None = None
    commit: str | None = None
    release_commit: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when the release may proceed, 1 when it is blocked."""
        return 0 if self.passed else 1

    def to_json(self) -> dict[str, Any]:
        """The machine-readable verdict (``harness gate --format json``)."""
        def finding(f: dict[str, Any], new: bool | None) -> dict[str, Any]:
            return {**f, "new": new}

        base = self.has_baseline
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "threshold": self.threshold,
            "report": self.report_path,
            "baseline": self.baseline_path,
            "shard": self.shard,
            "commit": self.commit,
            "release_commit": self.release_commit,
            "failures": {"new": [t.to_json() for t in self.new_failures],
                         "known": [t.to_json() for t in self.known_failures],
                         "fixed": list(self.fixed_failures)},
            "findings": {"new": [finding(f, True if base else None) for f in self.new_findings],
                         "known": [finding(f, False) for f in self.known_findings],
                         "below_threshold": list(self.below_threshold),
                         "fixed": list(self.fixed_findings)},
            "waivers": {"expired": list(self.expired_waivers), "stale": list(self.stale_waivers)},
            "undetermined": {"tests": self.undetermined_tests, "findings": self.undetermined_findings},
            "summary": self.summary,
        }

    def format_text(self, *, limit: int = 50) -> str:
        """A human summary: verdict, why, then what is new apart from what is known."""
        head = "PASSED" if self.passed else "FAILED"
        where = f"report {self.report_path}" if self.report_path else "report"
        base = f", baseline {self.baseline_path}" if self.baseline_path else ", no baseline"
        commit = f", commit {self.commit[:12]}" if self.commit else ""
        lines = [f"release gate: {head} ({where}{commit}, threshold {self.threshold}{base})"]
        tests = self.summary.get("tests", {})
        if tests:
            lines.append(f"  tests: {tests.get('total', 0)} total, {tests.get('passed', 0)} passed, "
                         f"{tests.get('failed', 0)} failed, {tests.get('error', 0)} error, "
                         f"{tests.get('undetermined', 0)} undetermined, {tests.get('skipped', 0)} skipped")
        for reason in self.reasons:
            lines.append(f"  ✗ {reason}")

        def section(title: str, items: list[str]) -> None:
            if not items:
                return
            lines.append("")
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  {item}" for item in items[:limit])
            if len(items) > limit:
                lines.append(f"  ... and {len(items) - limit} more")

        new_label = "new " if self.has_baseline else ""
        section(f"{new_label}failed tests".capitalize(), [_test_line(t) for t in self.new_failures])
        section("Known failed tests (also in the baseline)", [_test_line(t) for t in self.known_failures])
        section(f"{new_label}findings at or above {self.threshold}".capitalize(),
                [_finding_line(f) for f in self.new_findings])
        section(f"Known findings at or above {self.threshold} (also in the baseline)",
                [_finding_line(f) for f in self.known_findings])
        section("Expired waivers", [_waiver_line(w) for w in self.expired_waivers])
        section(f"Findings below {self.threshold} (not blocking)",
                [_finding_line(f) + (" [new]" if f.get("new") else "") for f in self.below_threshold])
        section("Fixed since the baseline", [f"test {n}" for n in self.fixed_failures]
                + [f"finding {_finding_line(f)}" for f in self.fixed_findings])
        section("Stale waivers (matched nothing: remove them)", [_waiver_line(w) for w in self.stale_waivers])
        if self.undetermined_tests or self.undetermined_findings:
            lines.append("")
            lines.append(f"Undetermined (known only after apply; not blocking): {self.undetermined_tests} test(s), "
                         f"{self.undetermined_findings} finding(s)")
        return "\n".join(lines)


def _test_line(test: TestRecord) -> str:
    reason = f": {test.reason}" if test.reason else ""
    return f"[{test.outcome}] {test.nodeid}{reason}"


def _finding_line(f: dict[str, Any]) -> str:
    where = f["file"] + (f":{f['line']}" if f.get("line") else "") if f.get("file") else ""
    controls = f" [{', '.join(f['controls'])}]" if f.get("controls") else ""
    loc = f" ({where})" if where else ""
    return (f"{f['severity']} {f['policy']} {f['stack']}/{f['component']} {f.get('address') or '(plan)'}{loc}: "
            f"{f['message']}{controls}")


def _waiver_line(w: dict[str, Any]) -> str:
    scope = w["stack"] + (f"/{w['component']}" if w.get("component") else "")
    ticket = f" ({w['ticket']})" if w.get("ticket") else ""
    return f"{w['policy']} on {', '.join(w['resources']) or '?'} in {scope}, expires {w.get('expires')}{ticket}: " \
           f"{w['reason']}"


def report_threshold(report: Report) -> str:
    """The threshold the run used (``run.fail_on``); the strictest when merged shards disagree."""
    recorded = str(report.run.get("fail_on") or "")
    named = [part.strip().lower() for part in recorded.split(",") if part.strip().lower() in SEVERITIES]
    return min(named, key=severity_rank) if named else DEFAULT_FAIL_ON


def soundness_reasons(report: Report, *, release_commit: str | None, allow_commit_mismatch: bool = False,
                      allow_no_policies: bool = False) -> list[str]:
    """Why ``report`` cannot vouch for a release, whatever it contains (empty when it can)."""
    reasons: list[str] = []
    run = report.run
    if run.get("usage_error"):
        reasons.append(f"the run ended with a usage error (exit status {run.get('exit_status', 4)}): "
                       "its tests did not all run")
    if run.get("interrupted"):
        reasons.append("the run was interrupted: its tests did not all run")
    if int(run.get("collection_errors") or 0):
        reasons.append(f"the run had {run['collection_errors']} collection error(s): some tests were never run")
    ran = [t for t in report.tests if t.outcome in OUTCOMES and t.outcome != "skipped"]
    if not report.tests:
        reasons.append("no test ran (the report holds no test: check --stacks/-k/the selection)")
    elif not ran:
        reasons.append(f"no test ran (all {len(report.tests)} test(s) were skipped)")
    if not report.instances():
        reasons.append("the report covers no instance (no stack/component was tested)")
    if not allow_no_policies:
        for kind, label in (("policies", "policy"), ("contracts", "contract")):
            if not report.tests_of_kind(kind):
                reasons.append(f"the report has no {label} results (the plugin's built-in {kind} items did not "
                               "run; --allow-no-policies accepts that on purpose)")
    if not allow_commit_mismatch:
        commit = run.get("commit")
        if not commit:
            reasons.append("the report does not record the commit it was made at (--allow-commit-mismatch)")
        elif release_commit is None:
            reasons.append("cannot tell which commit is being released: pass --commit SHA "
                           "(or run in the release checkout)")
        elif not (str(commit).startswith(release_commit) or release_commit.startswith(str(commit))):
            reasons.append(f"the report was made at commit {str(commit)[:12]}, not at {release_commit[:12]} "
                           "being released (--allow-commit-mismatch)")
        if run.get("dirty"):
            reasons.append("the report was made from a work tree with uncommitted changes "
                           "(--allow-commit-mismatch)")
    return reasons


def evaluate_gate(report: Report, *, baseline: Report | None = None, threshold: str | None = None,
                  fail_on_new: bool = False, allow_shard: bool = False, release_commit: str | None = None,
                  allow_commit_mismatch: bool = False, allow_no_policies: bool = False,
                  check_soundness: bool = True) -> GateResult:
    """Decide whether ``report`` may be released (see the module docstring for the rules).

    ``threshold`` None: the report's own (``report_threshold``). ``check_soundness`` False judges only the
    contents (failures, findings, waivers), for a caller that has vouched for the run itself.
    """
    threshold = (threshold or report_threshold(report)).lower()
    if threshold not in SEVERITIES:
        raise ValueError(f"threshold must be one of {', '.join(SEVERITIES)}, got {threshold!r}")
    bar = severity_rank(threshold)
    tests = report.sorted_tests()
    failures = [t for t in tests if t.outcome in ("failed", "error")]
    failing = [f for f in report.sorted_findings() if f["status"] == "fail"]
    old_failures: set[str] = set()
    old_findings: set[tuple[str, str, str, str]] = set()
    if baseline is not None:
        old_failures = {t.nodeid for t in baseline.tests if t.outcome in ("failed", "error")}
        old_findings = {finding_key(f) for f in baseline.findings if f["status"] == "fail"}

    result = GateResult(passed=True, threshold=threshold, reasons=[], has_baseline=baseline is not None,
                        shard=report.shard, summary=report.summary(), commit=report.run.get("commit"),
                        release_commit=release_commit)
    for test in failures:
        (result.known_failures if test.nodeid in old_failures else result.new_failures).append(test)
    for f in failing:
        is_new = finding_key(f) not in old_findings
        if f["policy"] == EXPIRED_WAIVER_POLICY:
            continue  # reported with the expired waivers, whatever its severity
        if severity_rank(f["severity"]) >= bar:
            (result.new_findings if is_new else result.known_findings).append(f)
        else:
            result.below_threshold.append({**f, "new": is_new if baseline is not None else None})
    expired = report.waivers_with("expired")
    expired_findings = [f for f in failing if f["policy"] == EXPIRED_WAIVER_POLICY]
    result.expired_waivers = expired or [_expired_from_finding(f) for f in expired_findings]
    result.stale_waivers = report.waivers_with("stale")
    result.undetermined_tests = sum(1 for t in tests if t.outcome == "undetermined")
    result.undetermined_findings = sum(1 for f in report.findings if f["status"] == "undetermined")
    if baseline is not None:
        now_failing = {t.nodeid for t in failures}
        result.fixed_failures = sorted(old_failures - now_failing)
        now_keys = {finding_key(f) for f in failing}
        seen: set[tuple[str, str, str, str]] = set()
        for f in baseline.sorted_findings():
            key = finding_key(f)
            if f["status"] == "fail" and key not in now_keys and key not in seen:
                seen.add(key)
                result.fixed_findings.append(f)

    reasons = result.reasons
    if check_soundness:
        reasons.extend(soundness_reasons(report, release_commit=release_commit,
                                         allow_commit_mismatch=allow_commit_mismatch,
                                         allow_no_policies=allow_no_policies))
    if failures:
        known = f" ({len(result.known_failures)} already in the baseline)" if result.known_failures else ""
        reasons.append(f"{len(failures)} failed test(s){known}")
    blocking = result.new_findings + result.known_findings
    if blocking:
        known = f" ({len(result.known_findings)} already in the baseline)" if result.known_findings else ""
        reasons.append(f"{len(blocking)} failing finding(s) at or above {threshold}{known}")
    if result.expired_waivers:
        reasons.append(f"{len(result.expired_waivers)} expired waiver(s)")
    if fail_on_new and baseline is not None:
        new_below = [f for f in result.below_threshold if f["new"]]
        if new_below:
            reasons.append(f"{len(new_below)} new failing finding(s) below {threshold} (--fail-on-new)")
    if report.shard and not allow_shard:
        reasons.append(f"the report is shard {report.shard}, not the whole run (merge the shards first)")
    result.passed = not reasons
    return result


def _expired_from_finding(f: dict[str, Any]) -> dict[str, Any]:
    """An expired-waiver entry from a ``waiver.expired`` finding (when the report lists no waivers)."""
    waiver = f.get("waiver") or {}
    return {"status": "expired", "policy": f["policy"], "stack": f["stack"], "component": f["component"],
            "resources": [f.get("address") or "(plan)"], "reason": f["message"], "expires": waiver.get("expires"),
            "ticket": waiver.get("ticket"), "index": None}
