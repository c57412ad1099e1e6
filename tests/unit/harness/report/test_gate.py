"""The release gate's verdicts and exit codes, with and without a baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.report import evaluate_gate

from .conftest import Run, T, finding, waiver
from .test_merge import cli

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SOUND_RUN = {"commit": COMMIT, "ref": "main", "dirty": False, "exit_status": 0, "usage_error": False,
             "interrupted": False, "collection_errors": 0, "fail_on": "high"}
CLEAN = Run(
    tests=[T("test_a", "plat-ue1-prod", "vpc"), T("test_b", "plat-ue1-prod", "vpc", outcome="undetermined",
                                                  reason="aws_vpc.this.id: undetermined: known after apply"),
           T("policies", "plat-ue1-prod", "vpc", kind="policies"),
           T("contracts", "plat-ue1-prod", "vpc", kind="contracts")],
    findings=[finding("s3.encryption", "critical", "plat-ue1-prod", "vpc", "aws_s3_bucket.x", outcome="waived")],
    waivers=[waiver("used", "plat-ue1-prod", 0)],
    run=SOUND_RUN,
)
OLD_HIGH = finding("network.flow-logs", "high", "plat-ue1-prod", "vpc", "aws_vpc.this", message="no flow logs")
NEW_HIGH = finding("network.no-public-ingress", "high", "plat-ue1-dev", "sg", "aws_security_group_rule.ssh",
                   message="0.0.0.0/0 on port 22", controls=["CIS-AWS-5.2"])
OLD_MEDIUM = finding("tags.required", "medium", "plat-ue1-prod", "vpc", "aws_vpc.this", message="no owner tag")


def gate_cli(tmp_path: Path, current: Run, baseline: Run | None = None, *args: str) -> int:
    report = current.write(tmp_path / "report.json")
    extra = ["--baseline", str(baseline.write(tmp_path / "baseline.json"))] if baseline is not None else []
    commit = [] if "--allow-commit-mismatch" in args or "--commit" in args else ["--commit", COMMIT]
    return cli("gate", "--report", str(report), *extra, *commit, *args)


def test_passes_on_a_clean_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gate_cli(tmp_path, CLEAN) == 0
    out = capsys.readouterr().out
    assert out.startswith("release gate: PASSED")
    assert "Undetermined (known only after apply; not blocking): 1 test(s)" in out


def test_fails_on_a_failed_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failing = CLEAN.but(tests=[*CLEAN.tests, T("test_c", "plat-ue1-prod", "vpc", outcome="error", reason="boom")])
    assert gate_cli(tmp_path, failing) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "1 failed test(s)" in out and "test_c[plat-ue1-prod]: boom" in out


def test_fails_on_an_expired_waiver(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expired = CLEAN.but(waivers=[waiver("expired", "plat-ue1-prod", 0, expires="2024-01-31")])
    assert gate_cli(tmp_path, expired) == 1
    out = capsys.readouterr().out
    assert "✗ 1 expired waiver(s)" in out
    assert "Expired waivers (1):\n  s3.encryption on aws_s3_bucket.* in plat-ue1-prod, expires 2024-01-31" in out


def test_an_expired_waiver_finding_blocks_whatever_its_severity(tmp_path: Path) -> None:
    report = CLEAN.but(findings=[finding("waiver.expired", "low", "plat-ue1-prod", "vpc", "aws_s3_bucket.x")],
                       waivers=[])
    result = evaluate_gate(report.report(), threshold="critical", release_commit=COMMIT)
    assert not result.passed and result.reasons == ["1 expired waiver(s)"]


def test_fails_on_a_new_finding_and_lists_the_old_ones_apart(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    baseline = CLEAN.but(findings=[OLD_HIGH])
    current = CLEAN.but(findings=[OLD_HIGH, NEW_HIGH])
    assert gate_cli(tmp_path, current, baseline) == 1
    out = capsys.readouterr().out
    assert "✗ 2 failing finding(s) at or above high (1 already in the baseline)" in out
    new_section = out.split("New findings at or above high (1):\n", 1)[1].split("\n\n", 1)[0]
    known_section = out.split("Known findings at or above high (also in the baseline) (1):\n", 1)[1]
    known_section = known_section.split("\n\n", 1)[0]
    assert "network.no-public-ingress plat-ue1-dev/sg aws_security_group_rule.ssh" in new_section
    assert "[CIS-AWS-5.2]" in new_section and "network.flow-logs" not in new_section
    assert "network.flow-logs plat-ue1-prod/vpc aws_vpc.this (main.tf:3): no flow logs" in known_section


def test_passes_when_the_only_finding_is_old_and_below_threshold(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    baseline = CLEAN.but(findings=[OLD_MEDIUM])
    assert gate_cli(tmp_path, CLEAN.but(findings=[OLD_MEDIUM]), baseline, "--fail-on-new") == 0
    out = capsys.readouterr().out
    assert "PASSED" in out
    assert "Findings below high (not blocking) (1):\n  medium tags.required" in out and "[new]" not in out


def test_fail_on_new_blocks_a_new_finding_below_threshold(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    current = CLEAN.but(findings=[OLD_MEDIUM])
    assert gate_cli(tmp_path, current, CLEAN) == 0  # below threshold: not blocking by default
    assert gate_cli(tmp_path, current, CLEAN, "--fail-on-new") == 1
    out = capsys.readouterr().out
    assert "1 new failing finding(s) below high (--fail-on-new)" in out and "[new]" in out


def test_a_lower_threshold_blocks_a_medium_finding(tmp_path: Path) -> None:
    assert gate_cli(tmp_path, CLEAN.but(findings=[OLD_MEDIUM]), None, "--threshold", "medium") == 1
    assert gate_cli(tmp_path, CLEAN.but(findings=[OLD_MEDIUM]), None, "--threshold", "HIGH") == 0


def test_old_failures_still_block_but_are_marked_known_and_fixed_ones_listed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_fail = T("test_old", "plat-ue1-prod", "vpc", outcome="failed", reason="old")
    fixed = T("test_fixed", "plat-ue1-prod", "vpc", outcome="failed", reason="was broken")
    baseline = CLEAN.but(tests=[*CLEAN.tests, old_fail, fixed], findings=[OLD_HIGH])
    current = CLEAN.but(tests=[*CLEAN.tests, old_fail])
    assert gate_cli(tmp_path, current, baseline, "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False and data["reasons"] == ["1 failed test(s) (1 already in the baseline)"]
    assert [t["nodeid"] for t in data["failures"]["known"]] == [old_fail.nodeid]
    assert data["failures"]["new"] == []
    assert data["failures"]["fixed"] == [fixed.nodeid]
    assert [f["policy"] for f in data["findings"]["fixed"]] == ["network.flow-logs"]
    assert data["undetermined"] == {"tests": 1, "findings": 0}


def test_a_shard_report_is_refused_unless_allowed(tmp_path: Path) -> None:
    shard = CLEAN.but(shard="1/4")
    assert gate_cli(tmp_path, shard) == 1
    assert gate_cli(tmp_path, shard, None, "--allow-shard") == 0


def test_an_unreadable_report_exits_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("[]")
    assert cli("gate", "--report", str(bad)) == 2
    assert "broken.json: not a harness report" in capsys.readouterr().err


# -- a report that proves nothing is refused, each time with one line saying why -------------------------

def _reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str], run: Run, *args: str) -> list[str]:
    code = gate_cli(tmp_path, run, None, "--format", "json", *args)
    data = json.loads(capsys.readouterr().out)
    assert (code == 0) == data["passed"]
    return list(data["reasons"])


def test_a_full_green_report_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _reasons(tmp_path, capsys, CLEAN) == []


def test_an_empty_report_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reasons = _reasons(tmp_path, capsys, Run(run=SOUND_RUN))
    assert "no test ran (the report holds no test: check --stacks/-k/the selection)" in reasons
    assert "the report covers no instance (no stack/component was tested)" in reasons
    skipped = Run(tests=[T("test_a", None, None, outcome="skipped")], run=SOUND_RUN)
    assert "no test ran (all 1 test(s) were skipped)" in _reasons(tmp_path, capsys, skipped)


def test_a_report_without_policy_and_contract_results_is_refused_unless_allowed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bare = CLEAN.but(tests=[t for t in CLEAN.tests if t.kind is None])
    reasons = _reasons(tmp_path, capsys, bare)
    assert len(reasons) == 2
    assert reasons[0].startswith("the report has no policy results (the plugin's built-in policies items")
    assert reasons[1].startswith("the report has no contract results")
    assert _reasons(tmp_path, capsys, bare, "--allow-no-policies") == []


def test_a_report_from_another_commit_is_refused_unless_allowed(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    reasons = _reasons(tmp_path, capsys, CLEAN, "--commit", "fedcba9876543210")
    assert reasons == [f"the report was made at commit {COMMIT[:12]}, not at fedcba987654 being released "
                       "(--allow-commit-mismatch)"]
    assert _reasons(tmp_path, capsys, CLEAN, "--commit", COMMIT[:10]) == []  # a short SHA of the same commit
    assert _reasons(tmp_path, capsys, CLEAN, "--commit", "fedcba9876543210", "--allow-commit-mismatch") == []
    dirty = CLEAN.but(run={**SOUND_RUN, "dirty": True})
    assert _reasons(tmp_path, capsys, dirty) == [
        "the report was made from a work tree with uncommitted changes (--allow-commit-mismatch)"]
    unknown = CLEAN.but(run={k: v for k, v in SOUND_RUN.items() if k != "commit"})
    assert _reasons(tmp_path, capsys, unknown) == [
        "the report does not record the commit it was made at (--allow-commit-mismatch)"]


def test_a_report_of_a_run_with_a_usage_error_or_interruption_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    usage = CLEAN.but(run={**SOUND_RUN, "usage_error": True, "exit_status": 4})
    assert _reasons(tmp_path, capsys, usage) == [
        "the run ended with a usage error (exit status 4): its tests did not all run"]
    interrupted = CLEAN.but(run={**SOUND_RUN, "interrupted": True, "exit_status": 2, "collection_errors": 1})
    assert _reasons(tmp_path, capsys, interrupted) == [
        "the run was interrupted: its tests did not all run",
        "the run had 1 collection error(s): some tests were never run"]


def test_the_threshold_is_the_runs_own_unless_given(tmp_path: Path) -> None:
    medium = CLEAN.but(findings=[OLD_MEDIUM])
    assert gate_cli(tmp_path, medium) == 0  # the run's fail_on is high
    assert gate_cli(tmp_path, medium.but(run={**SOUND_RUN, "fail_on": "medium"})) == 1
    assert gate_cli(tmp_path, medium.but(run={**SOUND_RUN, "fail_on": "medium"}), None, "--threshold", "high") == 0
    no_threshold = {k: v for k, v in SOUND_RUN.items() if k != "fail_on"}
    assert gate_cli(tmp_path, medium.but(run=no_threshold)) == 1  # default: every unwaived finding blocks
