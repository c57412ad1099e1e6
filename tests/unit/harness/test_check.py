"""`harness check` on the example and on broken copies: policy ids, stack, component, address, file:line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.harness.conftest import REPO, edit, run_cli

SSH_OPEN = ("            cidr_blocks:\n              - 10.0.0.0/16",
            "            cidr_blocks:\n              - 0.0.0.0/0")


def test_example_passes_with_its_waivers() -> None:
    result = run_cli("check", "--base-path", str(REPO))
    assert result.code == 0, result.out + result.err
    assert "check passed: 30 instances, 0 failing finding(s)" in result.err + result.out
    data = json.loads(run_cli("check", "--format", "json", "--base-path", str(REPO)).out)
    waived = [f for r in data["policies"] for f in r["findings"] if f["outcome"] == "waived"]
    assert {f["policy"] for f in waived if f["component"] != "organization"} == {"iam.no-inline-policies",
                                                                                 "s3.access-logging"}
    assert len([f for f in waived if f["policy"] == "iam.no-inline-policies"]) == 4


def test_ssh_open_to_the_world_fails_naming_everything(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/security-group/bastion.yaml", *SSH_OPEN)
    result = run_cli("check", "--base-path", str(example_copy))
    assert result.code == 1
    line = next(x for x in result.out.splitlines()
                if x.startswith("critical: network.no-public-admin-ports: plat-ue1-prod/security-group/bastion"))
    assert 'aws_vpc_security_group_ingress_rule.this["ssh-from-admin-network:0.0.0.0/0"]' in line
    assert "(components/terraform/security-group/main.tf:64)" in line
    assert "CIS-5.2" in line
    assert "check FAILED" in result.err


def test_threshold_ignores_lower_severities(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/iam-role/ci-deployer.yaml", "expires: 2027-06-30", "expires: 2099-01-01")
    edit(example_copy / "stacks/catalog/iam-role/ci-deployer.yaml", "policy: iam.no-inline-policies",
         "policy: iam.no-user-policies")
    assert run_cli("check", "--base-path", str(example_copy)).code == 1
    assert run_cli("check", "--threshold", "medium", "--base-path", str(example_copy)).code == 0


def test_expired_waiver_fails_saying_when(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/iam-role/ci-deployer.yaml", "expires: 2027-06-30", "expires: 2025-01-31")
    result = run_cli("check", "--base-path", str(example_copy))
    assert result.code == 1
    assert "expired on 2025-01-31 (ticket SEC-142)" in result.out


def test_stale_waiver_is_reported(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/iam-role/ci-runner.yaml", "resources: aws_iam_role_policy.inline*",
         "resources: aws_iam_role_policy.inline*\n            - policy: s3.versioning\n"
         "              resources: aws_s3_bucket.nothing\n              reason: left over\n"
         "              expires: 2027-01-01")
    result = run_cli("check", "--base-path", str(example_copy))
    assert "stale waiver: core-gbl-root/iam-role/ci-runner" in result.out and "s3.versioning" in result.out


def test_contract_breach_fails_the_check(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/vpc.yaml", "        subnet_newbits: 4\n", "        subnet_newbitz: 4\n")
    result = run_cli("check", "--format", "json", "--base-path", str(example_copy))
    assert result.code == 1
    data = json.loads(result.out)
    assert {c["check"] for c in data["contracts"]} == {"contract.undeclared-var"}
