"""The release gate's verdicts and exit codes, with and without a baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.report import evaluate_gate

from .conftest import Run, T, finding, waiver
from .test_merge import cli

CLEAN = Run(
    tests=[T("test_a", "plat-ue1-prod", "vpc"), T("test_b", "plat-ue1-prod", "vpc", outcome="undetermined",
                                                  reason="aws_vpc.this.id: undetermined: known after apply")],
    findings=[finding("s3.encryption", "critical", "plat-ue1-prod", "vpc", "aws_s3_bucket.x", outcome="waived")],
    waivers=[waiver("used", "plat-ue1-prod", 0)],
)
OLD_HIGH = finding("network.flow-logs", "high", "plat-ue1-prod", "vpc", "aws_vpc.this", message="no flow logs")
NEW_HIGH = finding("network.no-public-ingress", "high", "plat-ue1-dev", "sg", "aws_security_group_rule.ssh",
                   message="0.0.0.0/0 on port 22", controls=["CIS-AWS-5.2"])
OLD_MEDIUM = finding("tags.required", "medium", "plat-ue1-prod", "vpc", "aws_vpc.this", message="no owner tag")


def gate_cli(tmp_path: Path, current: Run, baseline: Run | None = None, *args: str) -> int:
    report = current.write(tmp_path / "report.json")
    extra = ["--baseline", str(baseline.write(tmp_path / "baseline.json"))] if baseline is not None else []
    return cli("gate", "--report", str(report), *extra, *args)


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
    result = evaluate_gate(report.report(), threshold="critical")
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
