"""``--use-mocks`` in pytest (and the ``harness_use_mocks`` ini value) and in ``harness check``: a consumer's
``!terraform.output`` of a producer with a ``mocks`` section reads the mock, not the producer's plan.

End to end: a real repository whose producer's output is known at plan time (``vpc-real``) and whose
``mocks`` say otherwise (``vpc-mock``), a real pytest run in a child process, the real CLI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.unit.harness.conftest import WriteRepo, run_cli

STACK = """\
vars: {tenant: plat, environment: ue1, stage: dev}
components:
  terraform:
    vpc:
      vars: {}
      mocks:
        vpc_id: MOCK_ID
    app:
      vars:
        vpc_id: !terraform.output vpc vpc_id
"""

VPC = """\
resource "aws_vpc" "this" { cidr_block = "10.0.0.0/16" }
output "vpc_id" { value = "vpc-real" }
"""

APP = """\
variable "vpc_id" {
  type = string
  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC id."
  }
}
resource "aws_subnet" "this" {
  vpc_id     = var.vpc_id
  cidr_block = "10.0.1.0/24"
}
"""

TESTS = """\
import pytest

pytestmark = pytest.mark.component("app")

def test_subnet_vpc(plan):
    assert plan.resource("aws_subnet.this").values["vpc_id"] == "vpc-mock"
"""


def _repo(write_repo: WriteRepo, mock: str = "vpc-mock", ini: str | None = None) -> Path:
    files = {"stacks/orgs/dev.yaml": STACK.replace("MOCK_ID", mock),
             "components/terraform/vpc/main.tf": VPC,
             "components/terraform/app/main.tf": APP,
             "tests/test_app.py": TESTS}
    if ini is not None:
        files["pytest.ini"] = ini
    return write_repo(files)


def _pytest(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "tests", "-v", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "--engine", "static", "--harness-cache", "off",
                           "--no-harness-policies", *args],
                          cwd=repo, capture_output=True, text=True, timeout=300, check=False)


def test_the_plan_fixture_reads_the_producers_mocks_only_with_use_mocks(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo)
    mocked = _pytest(repo, "--use-mocks")
    assert mocked.returncode == 0, mocked.stdout + mocked.stderr
    assert "test_subnet_vpc[plat-ue1-dev] PASSED" in mocked.stdout
    real = _pytest(repo)
    assert real.returncode == 1, real.stdout + real.stderr
    assert "assert 'vpc-real' == 'vpc-mock'" in real.stdout  # the producer's planned output


def test_the_ini_value_turns_mocks_on(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo, ini="[pytest]\nharness_use_mocks = true\n")
    result = _pytest(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_subnet_vpc[plat-ue1-dev] PASSED" in result.stdout


def test_harness_check_use_mocks_checks_the_consumer_with_the_mock(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo, mock="not-a-vpc")
    base = ("check", "--components", "app", "--base-path", str(repo))
    mocked = run_cli(*base, "--use-mocks")
    assert mocked.code == 1, mocked.out + mocked.err
    assert "vpc_id must be a VPC id." in mocked.out, mocked.out + mocked.err
    real = run_cli(*base)
    assert real.code == 0, real.out + real.err
    assert "vpc_id must be a VPC id." not in real.out + real.err
