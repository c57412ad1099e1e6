"""The plugin alone: built-in policy and contract items in a repository without test files, the gate on
their report, inputs Terraform would reject, and one ERROR line for a broken stack (also under xdist)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.unit.harness.conftest import DEFAULT_ATMOS_YAML, WriteRepo, edit, run_cli

SECURITY_GROUP = """\
variable "admin_cidr" {
  type = string
  validation {
    condition     = can(cidrhost(var.admin_cidr, 0))
    error_message = "admin_cidr must be a CIDR block."
  }
}
variable "port" {
  type    = number
  default = 22
}
resource "aws_security_group" "this" {
  name        = "admin"
  description = "admin access"
}
resource "aws_vpc_security_group_ingress_rule" "admin" {
  security_group_id = aws_security_group.this.id
  cidr_ipv4         = var.admin_cidr
  from_port         = var.port
  to_port           = var.port
  ip_protocol       = "tcp"
  description       = "admin"
}
"""


def _stack(stage: str, cidr: str = "10.0.0.0/16") -> str:
    return f"""\
vars: {{tenant: plat, environment: ue1, stage: {stage}}}
components:
  terraform:
    sg:
      vars: {{admin_cidr: "{cidr}"}}
"""


def _repo(write_repo: WriteRepo, **files: str) -> Path:
    """Two stacks, one component, no test file at all; a git repository with everything committed."""
    repo = write_repo({"components/terraform/sg/main.tf": SECURITY_GROUP,
                       "stacks/orgs/dev.yaml": _stack("dev"), "stacks/orgs/prod.yaml": _stack("prod"), **files})
    _commit(repo)
    return repo


def _commit(repo: Path) -> None:
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    if not (repo / ".git").exists():
        subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "change"], check=True)


def _pytest(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--engine", "static",
                           "--harness-cache", "off", *args],
                          cwd=repo, capture_output=True, text=True, timeout=300, check=False)


def _gate(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "gate", "--report", "report.json", *args],
                          cwd=repo, capture_output=True, text=True, timeout=300, check=False)


def test_a_repository_without_test_files_is_checked_and_gated(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo)
    result = _pytest(repo, "--harness-report", "report.json")
    assert result.returncode == 0, result.stdout[-3000:]
    for stack in ("plat-ue1-dev", "plat-ue1-prod"):
        assert f"atmos.yaml::policies[{stack}/sg] PASSED" in result.stdout
        assert f"atmos.yaml::contracts[{stack}/sg] PASSED" in result.stdout
    assert "collected 4 items" in result.stdout and "4 passed" in result.stdout
    # undeclared vars are warnings, as in Terraform: listed, not failing
    assert "harness: contract warnings (not fatal, as in Terraform)" in result.stdout
    assert ("stacks/orgs/dev.yaml:1: contract.undeclared-var (warning): plat-ue1-dev/sg: var 'tenant' is passed by "
            "the stack but not declared") in result.stdout
    report = json.loads((repo / "report.json").read_text())
    assert sorted(t.get("kind") for t in report["tests"]) == ["contracts", "contracts", "policies", "policies"]
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert report["run"]["commit"] == head and report["run"]["dirty"] is False
    assert report["run"]["usage_error"] is False and report["run"]["fail_on"] == "info"
    gate = _gate(repo)
    assert gate.returncode == 0, gate.stdout
    assert gate.stdout.startswith(f"release gate: PASSED (report report.json, commit {head[:12]}")


def test_ssh_from_anywhere_fails_the_policy_item_the_report_and_the_gate(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo, **{"stacks/orgs/prod.yaml": _stack("prod", "0.0.0.0/0")})
    result = _pytest(repo, "--harness-report", "report.json")
    assert result.returncode == 1
    assert "atmos.yaml::policies[plat-ue1-prod/sg] FAILED" in result.stdout
    assert "atmos.yaml::policies[plat-ue1-dev/sg] PASSED" in result.stdout
    assert ("critical: network.no-public-admin-ports: aws_vpc_security_group_ingress_rule.admin "
            "(components/terraform/sg/main.tf:") in result.stdout
    assert "Traceback" not in result.stdout and "def runtest" not in result.stdout
    gate = _gate(repo)
    assert gate.returncode == 1
    assert "✗ 1 failed test(s)" in gate.stdout and "critical network.no-public-admin-ports" in gate.stdout
    assert run_cli("check", "--base-path", str(repo)).code == 1  # the same verdict as the CLI


def test_the_threshold_is_set_once_in_settings(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo, **{"stacks/orgs/prod.yaml": _stack("prod", "0.0.0.0/0"),
                                "atmos.yaml": DEFAULT_ATMOS_YAML + "settings:\n  harness:\n    fail_on: critical\n"})
    edit(repo / "components/terraform/sg/main.tf", "default = 22", "default = 8080")  # not an admin port any more
    _commit(repo)
    result = _pytest(repo, "--harness-report", "report.json")
    assert result.returncode == 0, result.stdout[-3000:]
    assert _gate(repo).returncode == 0
    assert _pytest(repo, "--fail-on", "high").returncode == 1  # the flag overrides: the high finding counts now
    assert _gate(repo, "--threshold", "high").returncode == 1


def test_builtins_follow_the_selection_and_can_be_turned_off(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo)
    only_prod = _pytest(repo, "-k", "prod")
    assert "plat-ue1-dev" not in only_prod.stdout.split("short test summary")[0].split("collected")[1]
    assert "2 passed, 2 deselected" in only_prod.stdout
    dev = _pytest(repo, "--stacks", "*-dev")
    assert "2 passed" in dev.stdout and "plat-ue1-prod/sg]" not in dev.stdout
    shards = [_pytest(repo, "--shard", f"{k}/2").stdout for k in (1, 2)]
    ran = [{line.split()[0] for line in out.splitlines() if line.endswith(("PASSED", "FAILED")) or " PASSED " in line}
           for out in shards]
    assert ran[0].isdisjoint(ran[1]) and len(ran[0] | ran[1]) == 4
    off = _pytest(repo, "--harness-builtins", "none")
    assert off.returncode == 5 and "no tests ran" in off.stdout
    assert _pytest(repo, "--no-harness-policies").returncode == 5
    (repo / "pytest.ini").write_text("[pytest]\nharness_builtin_items = contracts\n")
    contracts_only = _pytest(repo)
    assert "2 passed" in contracts_only.stdout and "policies[" not in contracts_only.stdout
    bad = _pytest(repo, "--harness-builtins", "policy")
    assert bad.returncode == 4 and "unknown built-in item kind(s) policy" in bad.stderr


def test_inputs_terraform_would_reject_fail_the_plan_with_the_contract_message(write_repo: WriteRepo) -> None:
    tests = ("import pytest\n\npytestmark = pytest.mark.component('sg')\n\n"
             "def test_one_rule(plan):\n"
             "    assert len(plan.resources(type='aws_vpc_security_group_ingress_rule')) == 1\n")
    repo = _repo(write_repo, **{"stacks/orgs/dev.yaml": _stack("dev", "not-a-cidr"), "tests/test_sg.py": tests})
    result = _pytest(repo)
    assert result.returncode == 1
    out = result.stdout
    assert "tests/test_sg.py::test_one_rule[plat-ue1-prod] PASSED" in out  # undeclared vars do not block
    assert "tests/test_sg.py::test_one_rule[plat-ue1-dev] ERROR" in out  # its plan fixture fails
    assert "atmos.yaml::contracts[plat-ue1-dev/sg] FAILED" in out
    assert "atmos.yaml::policies[plat-ue1-dev/sg] FAILED" in out
    assert ("plat-ue1-dev/sg: not planned: its inputs break the component's contract (Terraform would reject "
            "them):") in out
    assert ("stacks/orgs/dev.yaml:5: contract.validation-failed: plat-ue1-dev/sg: var 'admin_cidr' = 'not-a-cidr' "
            "fails validation: admin_cidr must be a CIDR block. [components/terraform/sg/main.tf:1]") in out
    assert "KeyError" not in out


def test_the_header_and_summaries_appear_once_under_xdist(write_repo: WriteRepo) -> None:
    tests = ("import pytest\nfrom harness.plan import require_known\n\npytestmark = pytest.mark.component('sg')\n\n"
             "def test_group_id(plan):\n"
             "    rule = plan.resource('aws_vpc_security_group_ingress_rule.admin')\n"
             "    require_known(rule.values['security_group_id'], address=rule.address, path='security_group_id')\n")
    repo = _repo(write_repo, **{"tests/test_sg.py": tests})
    result = _pytest(repo, "-n", "2")
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.count("harness: engine=static (--engine static)") == 1
    assert "stacks=2 instances=2" in result.stdout
    assert "harness: undetermined checks" in result.stdout and "2 undetermined (skipped)" in result.stdout
    assert result.stdout.count("6 contract warning(s)") == 1
    assert "4 passed, 2 skipped" in result.stdout


def test_a_missing_import_under_xdist_is_one_error_line_and_exit_4(example_copy: Path) -> None:
    edit(example_copy / "stacks/orgs/acme/plat/dev/us-east-1.yaml", "  - catalog/vpc\n", "  - catalog/vpcc\n")
    (example_copy / "report.json").write_text("{}")  # a stale report must not survive the failed run
    result = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider",
                             "--harness-report", "report.json"],
                            cwd=example_copy, capture_output=True, text=True, timeout=300, check=False)
    output = (result.stdout + result.stderr).strip().splitlines()
    assert result.returncode == 4, output
    assert len(output) < 15, output
    errors = [line for line in output if line.startswith("ERROR")]
    assert errors == ["ERROR: harness: stacks/orgs/acme/plat/dev/us-east-1.yaml:6: import 'catalog/vpcc' not found "
                      "(looked in 'stacks')"]
    assert "Traceback" not in result.stdout + result.stderr
    gate = _gate(example_copy, "--allow-commit-mismatch")
    assert gate.returncode == 1
    assert "✗ the run ended with a usage error (exit status 4): its tests did not all run" in gate.stdout
