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
    assert "check passed: 30 instances, 0 failing finding(s) at or above info" in result.err + result.out
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
    edit(example_copy / "stacks/catalog/iam-role/ci-runner.yaml", "ticket: SEC-143",
         "ticket: SEC-143\n            - policy: s3.versioning\n"
         "              resources: aws_s3_bucket.nothing\n              reason: left over\n"
         "              expires: 2027-01-01")
    result = run_cli("check", "--base-path", str(example_copy))
    assert "stale waiver: core-gbl-root/iam-role/ci-runner" in result.out and "s3.versioning" in result.out


def test_an_undeclared_var_is_a_warning_as_in_terraform(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/vpc.yaml", "        subnet_newbits: 4\n", "        subnet_newbitz: 4\n")
    result = run_cli("check", "--format", "json", "--base-path", str(example_copy))
    assert result.code == 0, result.out + result.err
    data = json.loads(result.out)
    assert {(c["check"], c["severity"]) for c in data["contracts"]} == {("contract.undeclared-var", "warning")}


def test_contract_errors_fail_the_check_and_severities_are_configurable(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/vpc.yaml", "        subnet_newbits: 4\n", "        subnet_newbits: 12\n")
    result = run_cli("check", "--base-path", str(example_copy))
    assert result.code == 1
    assert "contract.validation-failed: plat-ue1-dev/vpc: var 'subnet_newbits' = 12 fails validation" in result.out
    edit(example_copy / "atmos.yaml", "  harness:\n", "  harness:\n    contracts:\n      severity:\n"
         "        contract.validation-failed: warning\n")
    relaxed = run_cli("check", "--base-path", str(example_copy))
    assert relaxed.code == 0, relaxed.out + relaxed.err
    assert "contract.validation-failed (warning): plat-ue1-dev/vpc" in relaxed.out


def test_one_threshold_from_settings_harness_fail_on(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/iam-role/ci-deployer.yaml", "policy: iam.no-inline-policies",
         "policy: iam.no-user-policies")
    assert run_cli("check", "--base-path", str(example_copy)).code == 1
    edit(example_copy / "stacks/orgs/acme/_defaults.yaml", "  harness:\n", "  harness:\n    fail_on: high\n")
    result = run_cli("check", "--base-path", str(example_copy))
    assert result.code == 0 and "at or above high" in result.out
    assert run_cli("check", "--threshold", "low", "--base-path", str(example_copy)).code == 1  # flags override
    edit(example_copy / "stacks/orgs/acme/plat/_defaults.yaml", "vars:\n  tenant: plat\n",
         "settings:\n  harness:\n    fail_on: low\nvars:\n  tenant: plat\n")
    split = run_cli("check", "--base-path", str(example_copy))
    assert split.code == 1 and "settings.harness.fail_on differs between stacks: high (core-" in split.out


def test_a_selection_matching_nothing_fails(example_copy: Path) -> None:
    result = run_cli("check", "--stacks", "nosuch-*", "--base-path", str(example_copy))
    assert result.code == 1
    assert "check FAILED: the selection --stacks 'nosuch-*' matched no instance: nothing was checked" in result.err


def test_a_stack_whose_name_cannot_be_resolved_fails(example_copy: Path) -> None:
    edit(example_copy / "stacks/orgs/acme/plat/_defaults.yaml", "  tenant: plat\n", "  tenant_typo: plat\n")
    result = run_cli("check", "--base-path", str(example_copy))
    assert result.code == 1
    assert ("stack problem: stacks/orgs/acme/plat/dev/us-east-1.yaml: stack name cannot be resolved: stack name "
            "pattern '{tenant}-{environment}-{stage}' needs var 'tenant'; its components (") in result.out
