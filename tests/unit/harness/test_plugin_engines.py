"""The plugin's built-in policy items carry what ``harness check`` finds: organization policies across
instances and checkov's findings, into the item's verdict, the report and the gate; an instance with no
planned resource is skipped, never passed."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.unit.harness.conftest import WriteRepo, run_cli
from tests.unit.harness.policy.checkov_bin import checkov_or_skip
from tests.unit.harness.test_plugin_builtins import _commit, _gate, _pytest

VPC = """\
variable "cidr" {
  type = string
}
resource "aws_vpc" "this" {
  cidr_block = var.cidr
}
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
}
resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::flow-logs"
}
"""
NOTHING = 'output "answer" {\n  value = 42\n}\n'
SSH = """\
resource "aws_security_group" "this" {
  name        = "admin"
  description = "admin access"
}
resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.this.id
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 22
  to_port           = 22
  ip_protocol       = "tcp"
  description       = "ssh"
}
"""


def _stack(stage: str, cidr: str) -> str:
    return f"""\
vars: {{tenant: plat, environment: ue1, stage: {stage}}}
components:
  terraform:
    vpc:
      vars: {{cidr: "{cidr}"}}
    nothing: {{}}
"""


def _env(checkov: str = "off") -> dict[str, str]:
    return {**os.environ, "HARNESS_CHECKOV": checkov}


def _run(repo: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    old = os.environ.copy()
    os.environ.update(env)
    try:
        result = _pytest(repo, "--harness-report", "report.json", "-rs", *args)
    finally:
        os.environ.clear()
        os.environ.update(old)
    return result.returncode, result.stdout


def test_organization_findings_and_empty_instances_reach_the_policy_items(write_repo: WriteRepo) -> None:
    repo = write_repo({"components/terraform/vpc/main.tf": VPC, "components/terraform/nothing/main.tf": NOTHING,
                       "stacks/orgs/dev.yaml": _stack("dev", "10.0.0.0/16"),
                       "stacks/orgs/prod.yaml": _stack("prod", "10.1.0.0/16")})
    _commit(repo)
    code, out = _run(repo, _env())
    assert code == 0, out[-3000:]
    assert "atmos.yaml::policies[plat-ue1-dev/vpc] PASSED" in out
    assert "atmos.yaml::policies[plat-ue1-dev/nothing] SKIPPED" in out
    assert "plat-ue1-dev/nothing: no planned resource, nothing to check" in out
    report = json.loads((repo / "report.json").read_text())
    empty = [t for t in report["tests"] if t.get("kind") == "policies" and t["component"] == "nothing"]
    assert empty and {t["outcome"] for t in empty} == {"skipped"}
    # prod's VPC overlaps dev's: only the organization policy sees it, in both items, the report and the gate
    (repo / "stacks/orgs/prod.yaml").write_text(_stack("prod", "10.0.128.0/17"))
    _commit(repo)
    code, out = _run(repo, _env())
    assert code == 1
    assert "atmos.yaml::policies[plat-ue1-dev/vpc] FAILED" in out
    assert "atmos.yaml::policies[plat-ue1-prod/vpc] FAILED" in out
    assert ("high: org.vpc-cidr-overlap: aws_vpc.this (components/terraform/vpc/main.tf:4): 10.0.128.0/17 overlaps "
            "10.0.0.0/16 of plat-ue1-dev/vpc aws_vpc.this [NIST-SC-7, NIST-AC-4]") in out
    report = json.loads((repo / "report.json").read_text())
    found = [f for f in report["findings"] if f["policy"] == "org.vpc-cidr-overlap"]
    assert {f["stack"] for f in found} == {"plat-ue1-dev", "plat-ue1-prod"}
    gate = _gate(repo)
    assert gate.returncode == 1 and "org.vpc-cidr-overlap" in gate.stdout
    assert run_cli("check", "--base-path", str(repo), env=_env()).code == 1  # the same verdict as the CLI


def test_checkov_findings_reach_the_policy_items(write_repo: WriteRepo) -> None:
    checkov = checkov_or_skip()
    repo = write_repo({"components/terraform/sg/main.tf": SSH,
                       "stacks/orgs/dev.yaml": "vars: {tenant: plat, environment: ue1, stage: dev}\n"
                                               "components:\n  terraform:\n    sg: {}\n"})
    _commit(repo)
    code, out = _run(repo, _env(checkov))
    assert code == 1
    assert "atmos.yaml::policies[plat-ue1-dev/sg] FAILED" in out
    assert "critical: checkov.CKV_AWS_24: aws_vpc_security_group_ingress_rule.ssh (components/terraform/sg/main.tf:5)" \
        in out
    report = json.loads((repo / "report.json").read_text())
    found = {f["policy"] for f in report["findings"]}
    assert {"checkov.CKV_AWS_24", "network.no-public-admin-ports"} <= found
    gate = _gate(repo)
    assert gate.returncode == 1 and "checkov.CKV_AWS_24" in gate.stdout
