"""The pytest plugin end to end: parametrization over stacks, fixtures, the undetermined outcome."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

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
resource "aws_default_security_group" "default" { vpc_id = aws_vpc.this.id }
"""


def _stack(stage: str, cidr: str, azs: str) -> str:
    return f"""\
vars: {{tenant: plat, environment: ue1, stage: {stage}}}
settings: {{harness: {{policies: {{disabled: [network.vpc-flow-logs]}}}}}}
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
    assert "9 passed, 2 skipped" in out


def test_strict_unknowns_turns_undetermined_into_failures(write_repo: WriteRepo) -> None:
    result = _pytest(_repo(write_repo), "--strict-unknowns")
    assert result.returncode == 1
    assert "2 failed, 9 passed" in result.stdout
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


def test_every_xdist_mode_gives_the_serial_outcomes(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo)
    for dist in ("worksteal", "load", "loadgroup"):
        result = _pytest(repo, "-n", "2", "--dist", dist)
        assert result.returncode == 0, result.stdout[-2000:]
        assert "9 passed, 2 skipped" in result.stdout, (dist, result.stdout[-2000:])


def test_the_repository_is_found_when_the_rootdir_is_above_it(write_repo: WriteRepo, tmp_path: Path) -> None:
    # no ini file, and an option value that is an existing path: pytest's rootdir is their common parent
    repo = _repo(write_repo)
    outside = tmp_path.parent / f"{tmp_path.name}-plans"
    outside.mkdir()
    result = subprocess.run([sys.executable, "-m", "pytest", "tests", "-v", "-p", "no:cacheprovider",
                             "--engine", "static", "--harness-cache", str(outside)],
                            cwd=repo, capture_output=True, text=True, timeout=300, check=False)
    assert f"rootdir: {tmp_path.parent}\n" in result.stdout
    assert f"base={repo} " in result.stdout
    assert "9 passed, 2 skipped" in result.stdout, result.stdout[-2000:]


def test_tests_of_one_instance_move_together_for_xdist() -> None:
    from types import SimpleNamespace

    from harness.pytest_plugin.selection import instances_together, plan_groups_for

    def item(name: str, instance: str | None) -> Any:
        params = {"harness_instance_id": instance} if instance else {}
        return SimpleNamespace(nodeid=name, callspec=SimpleNamespace(params=params) if instance else None)

    items = [item("a[dev]", "dev/vpc"), item("a[prod]", "prod/vpc"), item("org", None), item("b[dev]", "dev/vpc"),
             item("b[prod]", "prod/vpc"), item("c[qa]", "qa/vpc")]
    assert [i.nodeid for i in instances_together(items)] == ["a[dev]", "b[dev]", "a[prod]", "b[prod]", "org",
                                                              "c[qa]"]
    keys = [f"s{n}/vpc" for n in range(20)]
    serial = SimpleNamespace(getoption=lambda *a, **k: None)
    assert set(plan_groups_for(serial, keys).values()) == {"all"}  # type: ignore[arg-type]
    worker = SimpleNamespace(workerinput={"workercount": 2, "harness_dist": "worksteal"}, option=SimpleNamespace(),
                             getoption=lambda *a, **k: None)
    groups = plan_groups_for(worker, keys)  # type: ignore[arg-type]
    assert groups["s0/vpc"] == groups["s7/vpc"] != groups["s8/vpc"]  # runs of consecutive instances


def test_xdist_workers_share_the_cores_among_their_tfparse_children(write_repo: WriteRepo) -> None:
    import os

    repo = _repo(write_repo)
    expected = max(1, (os.cpu_count() or 1) // 2)
    (repo / "tests/test_env.py").write_text(
        f"import os\n\ndef test_go_threads():\n    assert os.environ['GOMAXPROCS'] == '{expected}'\n")
    env = {k: v for k, v in os.environ.items() if k != "GOMAXPROCS"}
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/test_env.py", "-q", "-p", "no:cacheprovider",
                             "-n", "2"], cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-2000:]
