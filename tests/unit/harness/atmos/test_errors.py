"""Bad input ends in one clear line naming the file (and line), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.harness.conftest import WriteRepo, run_cli

STACK = """\
vars: {tenant: plat, environment: ue1, stage: dev}
import: [catalog/vpc]
components:
  terraform:
    vpc:
      vars: {cidr: 10.0.0.0/16}
"""
CATALOG = """\
components:
  terraform:
    vpc:
      vars: {name: vpc}
"""


GHOST = "    ghost:\n      vars: {a: 1}\n      settings:\n        depends_on:\n          1: {component: nothing}\n"


def _base(extra: dict[str, str] | None = None) -> dict[str, str]:
    files = {
        "stacks/orgs/acme/plat/dev.yaml": STACK,
        "stacks/catalog/vpc.yaml": CATALOG,
        "components/terraform/vpc/main.tf": 'variable "cidr" {}\n',
    }
    files.update(extra or {})
    return files


def _assert_one_clear_line(err: str, *fragments: str) -> None:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_valid_repository_describes_and_validates(write_repo: WriteRepo) -> None:
    repo = write_repo(_base())
    result = run_cli("validate", "stacks", "--base-path", str(repo))
    assert result.code == 0, result.out + result.err
    described = run_cli("describe", "component", "vpc", "-s", "plat-ue1-dev", "--format", "json",
                        "--base-path", str(repo))
    assert described.code == 0
    assert '"cidr": "10.0.0.0/16"' in described.out and '"name": "vpc"' in described.out


def test_yaml_syntax_error_names_file_and_line(write_repo: WriteRepo) -> None:
    repo = write_repo(_base({"stacks/catalog/vpc.yaml": "components:\n  terraform:\n    vpc: [unclosed\n"}))
    result = run_cli("describe", "stacks", "--base-path", str(repo))
    assert result.code == 1
    _assert_one_clear_line(result.err, "stacks/catalog/vpc.yaml:", "YAML syntax error")


def test_import_cycle_prints_the_chain(write_repo: WriteRepo) -> None:
    repo = write_repo(_base({
        "stacks/catalog/vpc.yaml": "import: [catalog/b]\n" + CATALOG,
        "stacks/catalog/b.yaml": "import: [catalog/vpc]\n",
    }))
    result = run_cli("describe", "stacks", "--base-path", str(repo))
    assert result.code == 1
    _assert_one_clear_line(result.err, "import cycle",
                           "catalog/vpc.yaml -> stacks/catalog/b.yaml -> stacks/catalog/vpc.yaml")


def test_missing_import_names_importer_and_line(write_repo: WriteRepo) -> None:
    stack = STACK.replace("catalog/vpc]", "catalog/vpc, catalog/nope]")
    repo = write_repo(_base({"stacks/orgs/acme/plat/dev.yaml": stack}))
    result = run_cli("describe", "stacks", "--base-path", str(repo))
    assert result.code == 1
    _assert_one_clear_line(result.err, "stacks/orgs/acme/plat/dev.yaml:2:", "import 'catalog/nope' not found")


def test_unknown_base_component(write_repo: WriteRepo) -> None:
    stack = STACK + "    vpc2:\n      metadata: {component: vpc, inherits: [vpc-base]}\n"
    repo = write_repo(_base({"stacks/orgs/acme/plat/dev.yaml": stack}))
    result = run_cli("describe", "stacks", "--base-path", str(repo))
    assert result.code == 1
    _assert_one_clear_line(result.err, "dev.yaml", "inherits from 'vpc-base'", "not defined")


def test_invalid_merge_strategy(write_repo: WriteRepo) -> None:
    stack = STACK.replace("vars: {cidr: 10.0.0.0/16}",
                          "vars: {cidr: 10.0.0.0/16}\n      settings: {list_merge_strategy: smash}")
    repo = write_repo(_base({"stacks/orgs/acme/plat/dev.yaml": stack}))
    result = run_cli("describe", "stacks", "--base-path", str(repo))
    assert result.code == 1
    _assert_one_clear_line(result.err, "dev.yaml", "invalid list_merge_strategy 'smash'")


def test_two_manifests_producing_one_stack_with_different_config(write_repo: WriteRepo) -> None:
    repo = write_repo(_base({"stacks/orgs/acme/plat/dev-copy.yaml": STACK.replace("10.0.0.0/16", "10.9.0.0/16")}))
    result = run_cli("describe", "stacks", "--base-path", str(repo))
    assert result.code == 1
    _assert_one_clear_line(result.err, "duplicate config", "plat-ue1-dev", "dev.yaml", "dev-copy.yaml")


def test_validate_lists_every_problem_with_exit_1(write_repo: WriteRepo) -> None:
    stack = STACK + GHOST
    repo = write_repo(_base({
        "stacks/orgs/acme/plat/dev.yaml": stack,
        "stacks/orgs/acme/plat/typed.yaml": "vars: {tenant: plat, environment: ue1, stage: qa}\n"
                                            "components:\n  terraform:\n    vpc:\n      vars: [not, a, map]\n",
    }))
    result = run_cli("validate", "stacks", "--base-path", str(repo))
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "typed.yaml:5: components.terraform.vpc.vars: ['not', 'a', 'map'] is not of type 'object'" in result.out
    assert "stacks/orgs/acme/plat/typed.yaml" in result.out and "'vars' must be a map" in result.out
    # The schema error stops that stack from processing, so the reference checks run on no stack:
    assert "problem(s)" in result.err


def test_validate_reference_problems(write_repo: WriteRepo) -> None:
    stack = STACK + GHOST
    repo = write_repo(_base({"stacks/orgs/acme/plat/dev.yaml": stack}))
    result = run_cli("validate", "stacks", "--base-path", str(repo))
    assert result.code == 1
    assert "stacks/orgs/acme/plat/dev.yaml:7: component 'ghost' in stack 'plat-ue1-dev': folder " \
           "'components/terraform/ghost' does not exist" in result.out
    assert "depends on 'nothing', which stack 'plat-ue1-dev' does not define (depends_on)" in result.out


def test_exec_is_refused_unless_allowed(write_repo: WriteRepo, tmp_path: Path) -> None:
    stack = STACK.replace("vars: {cidr: 10.0.0.0/16}", "vars:\n        cidr: !exec echo 10.7.0.0/16")
    repo = write_repo(_base({"stacks/orgs/acme/plat/dev.yaml": stack}))
    refused = run_cli("describe", "component", "vpc", "-s", "plat-ue1-dev", "--base-path", str(repo))
    assert refused.code == 1
    _assert_one_clear_line(refused.err, "!exec is disabled", "--allow-exec")
    allowed = run_cli("describe", "component", "vpc", "-s", "plat-ue1-dev", "--allow-exec", "--format", "json",
                      "--base-path", str(repo))
    assert allowed.code == 0, allowed.err
    assert '"cidr": "10.7.0.0/16"' in allowed.out


@pytest.mark.parametrize("stack", ["nope", "plat-ue1-prod"])
def test_unknown_stack_lists_known_ones(write_repo: WriteRepo, stack: str) -> None:
    repo = write_repo(_base())
    result = run_cli("describe", "component", "vpc", "-s", stack, "--base-path", str(repo))
    assert result.code == 1
    _assert_one_clear_line(result.err, f"stack '{stack}' not found", "plat-ue1-dev")
