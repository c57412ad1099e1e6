"""The pytest plugin end to end: parametrization over stacks, fixtures, the undetermined outcome."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.unit.harness.conftest import WriteRepo

COMPONENT = """\
variable "cidr" { type = string }
variable "azs" { type = list(string) }
variable "tenant" { type = string }
variable "environment" { type = string }
variable "stage" { type = string }
resource "aws_vpc" "this" { cidr_block = var.cidr }
resource "aws_subnet" "private" {
  for_each   = toset(var.azs)
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 4, index(var.azs, each.key))
  availability_zone = each.key
}
output "vpc_id" { value = aws_vpc.this.id }
"""


def _stack(stage: str, cidr: str, azs: str) -> str:
    return f"""\
vars: {{tenant: plat, environment: ue1, stage: {stage}}}
components:
  terraform:
    vpc:
      vars: {{cidr: "{cidr}", azs: {azs}}}
    vpc-base:
      metadata: {{type: abstract, component: vpc}}
"""


TESTS = """\
import pytest
from harness.plan import require_known

pytestmark = pytest.mark.component("vpc")

def test_subnets_cover_azs(plan, instance):
    assert {s.values["availability_zone"] for s in plan.resources("aws_subnet.private")} == set(instance.vars["azs"])

def test_vpc_id_known(plan):
    require_known(plan.resource("aws_vpc.this").values["id"], address="aws_vpc.this", path="id")

def test_component_fixture(component, instance):
    assert "cidr" in component.variables and component.outputs["vpc_id"].value == "aws_vpc.this.id"

def test_stacks_fixture(stacks):
    assert stacks.stack_names() == ["plat-ue1-dev", "plat-ue1-prod"]
"""


def _repo(write_repo: WriteRepo) -> Path:
    return write_repo({
        "stacks/orgs/acme/plat/dev.yaml": _stack("dev", "10.1.0.0/16", "[us-east-1a, us-east-1b]"),
        "stacks/orgs/acme/plat/prod.yaml": _stack("prod", "10.2.0.0/16", "[us-east-1a, us-east-1b, us-east-1c]"),
        "components/terraform/vpc/main.tf": COMPONENT,
        "tests/test_vpc.py": TESTS,
    })


def _pytest(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "tests", "-v", "-p", "no:cacheprovider",
                           "--engine", "static", "--harness-cache", "off", *args],
                          cwd=repo, capture_output=True, text=True, timeout=300, check=False)


def test_tests_run_per_stack_with_stack_ids_and_undetermined_skips(write_repo: WriteRepo) -> None:
    result = _pytest(_repo(write_repo))
    out = result.stdout
    assert result.returncode == 0, out
    assert "harness: engine=static (--engine static)" in out and "stacks=2 instances=2" in out
    assert "test_vpc.py::test_subnets_cover_azs[plat-ue1-dev] PASSED" in out
    assert "test_vpc.py::test_subnets_cover_azs[plat-ue1-prod] PASSED" in out
    assert "vpc-base" not in out  # abstract components are not deployed
    assert "test_vpc.py::test_vpc_id_known[plat-ue1-prod] SKIPPED" in out
    assert "aws_vpc.this.id: undetermined: known after apply" in out
    assert "2 undetermined (skipped)" in out
    assert "5 passed, 2 skipped" in out


def test_strict_unknowns_turns_undetermined_into_failures(write_repo: WriteRepo) -> None:
    result = _pytest(_repo(write_repo), "--strict-unknowns")
    assert result.returncode == 1
    assert "2 failed, 5 passed" in result.stdout
    assert "2 undetermined (failed (--strict-unknowns))" in result.stdout


def test_stack_and_component_selection(write_repo: WriteRepo) -> None:
    result = _pytest(_repo(write_repo), "--stacks", "*-prod", "-k", "subnets")
    assert "[plat-ue1-prod] PASSED" in result.stdout and "[plat-ue1-dev]" not in result.stdout


def test_failure_names_resource_file_line_and_manifest(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo)
    (repo / "tests/test_vpc.py").write_text(TESTS + textwrap.dedent("""
        def test_subnet_cidrs(plan):
            subnets = plan.resources("aws_subnet.private")
            assert [s.values["cidr_block"] for s in subnets] == []
        """))
    result = _pytest(repo, "-k", "subnet_cidrs and dev")
    assert result.returncode == 1
    assert 'resource aws_subnet.private["us-east-1a"] (components/terraform/vpc/main.tf:7)' in result.stdout
    assert "stack manifest: stacks/orgs/acme/plat/dev.yaml" in result.stdout
