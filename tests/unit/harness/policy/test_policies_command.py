"""``harness policies``: built-in, repository, organization and (when found) checkov policies with their
source and control ids."""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.policy.checkov_catalog import TABLE
from harness.policy.organization import POLICIES as ORG_POLICIES
from tests.unit.harness.conftest import run_cli
from tests.unit.harness.policy.checkov_bin import checkov_or_skip
from tests.unit.harness.policy.test_user_policies import TEAM_POLICY


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies/team.py").write_text(TEAM_POLICY)
    (tmp_path / "policies/_shared.py").write_text("BANNED = ['m4.large']\n")
    return tmp_path


def _env(checkov: str) -> dict[str, str]:
    return {**os.environ, "HARNESS_CHECKOV": checkov}


def test_lists_every_source_with_controls_and_says_when_checkov_is_missing(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = run_cli("policies", "--format", "json", "--base-path", str(repo), env=_env("off"))
    assert result.code == 0, result.err
    data = {e["id"]: e for e in json.loads(result.out)}
    assert data["network.no-public-admin-ports"]["origin"] == "builtin"
    assert data["rds.no-public-access"]["controls"] == ["NIST-AC-3", "NIST-SC-7", "FSBP-RDS.2"]
    assert data["team.no-banned-instance-types"]["origin"] == "policies/team.py"
    assert data["team.no-banned-instance-types"]["controls"] == ["NIST-CM-7"]
    for org in ORG_POLICIES:
        assert data[org.id]["origin"] == "organization" and data[org.id]["controls"] == list(org.controls)
        assert data[org.id]["severity"] == str(org.severity)
    assert not [pid for pid in data if pid.startswith("checkov.")]
    assert "checkov is switched off ($HARNESS_CHECKOV=off)" in result.err
    table = run_cli("policies", "--base-path", str(repo), env=_env("off")).out
    assert table.splitlines()[0].split() == ["ID", "SEVERITY", "SOURCE", "CONTROLS", "TITLE"]
    row = next(line for line in table.splitlines() if line.startswith("org.vpc-cidr-overlap "))
    assert row.split()[:4] == ["org.vpc-cidr-overlap", "high", "organization", "NIST-SC-7,"]
    assert table.rstrip().splitlines()[-1].endswith(" builtin, 1 repository, 5 organization)")


def test_checkov_checks_are_listed_when_checkov_is_found(tmp_path: Path) -> None:
    checkov = checkov_or_skip()
    result = run_cli("policies", "--format", "json", "--base-path", str(_repo(tmp_path)), env=_env(checkov))
    assert result.code == 0, result.err
    data = {e["id"]: e for e in json.loads(result.out)}
    listed = {pid.removeprefix("checkov.") for pid, e in data.items() if e["origin"] == "checkov"}
    assert listed == set(TABLE)
    assert data["checkov.CKV_AWS_24"]["severity"] == "critical"
    assert data["checkov.CKV_AWS_24"]["controls"] == ["CIS-5.2", "NIST-AC-17", "FSBP-EC2.13"]
    assert "team.no-banned-instance-types" in data and "org.guardduty-everywhere" in data
    assert "checkov is not installed" not in result.err and "switched off" not in result.err
