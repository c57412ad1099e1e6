"""Contracts between stacks and components, on the example repository and on broken copies of it."""

from __future__ import annotations

from pathlib import Path

from harness.atmos import Resolver, load_config
from harness.atmos.instance import Dependency, Instance
from harness.contracts import check_contracts, dependency_cycles
from tests.unit.harness.conftest import REPO, edit


def _findings(repo: Path) -> list[str]:
    return [str(f) for f in check_contracts(Resolver(load_config(repo)))]


def test_example_repository_keeps_every_contract() -> None:
    assert _findings(REPO) == []


def test_undeclared_var_names_the_manifest_line_and_variables_tf(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/vpc.yaml", "        subnet_newbits: 4\n",
         "        subnet_newbits: 4\n        bogus_var: 1\n")
    found = [f for f in _findings(example_copy) if "contract.undeclared-var" in f]
    assert found, "the undeclared var must be reported"
    assert all(f.startswith("stacks/catalog/vpc.yaml:18: contract.undeclared-var") for f in found), found
    assert any("plat-ue1-prod/vpc: var 'bogus_var' is passed by the stack but not declared by component 'vpc'"
               " [components/terraform/vpc/variables.tf]" in f for f in found)


def test_undeclared_output_of_terraform_output(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/security-group/defaults.yaml", "!terraform.output vpc vpc_id",
         "!terraform.output vpc vpc_idx")
    found = [f for f in _findings(example_copy) if "contract.undeclared-output" in f]
    assert found
    assert "stacks/catalog/security-group/defaults.yaml:14:" in found[0]
    assert "reads output 'vpc_idx' of 'vpc'" in found[0]


def test_missing_required_var_and_type_mismatch(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/vpc.yaml", "        subnet_newbits: 4\n", "        subnet_newbits: [4]\n")
    findings = _findings(example_copy)
    assert any("contract.type-mismatch" in f and "var 'subnet_newbits' does not fit type number" in f
               for f in findings), findings


def test_validation_condition_evaluated_offline(example_copy: Path) -> None:
    edit(example_copy / "stacks/orgs/acme/plat/dev/us-east-1.yaml", "        nat_gateway_mode: single\n",
         "        nat_gateway_mode: sometimes\n")
    findings = [f for f in _findings(example_copy) if "contract.validation-failed" in f]
    assert findings == [
        "stacks/orgs/acme/plat/dev/us-east-1.yaml:22: contract.validation-failed: plat-ue1-dev/vpc: var "
        "'nat_gateway_mode' = 'sometimes' fails validation: The nat_gateway_mode must be `single` or `per_az`. "
        "[components/terraform/vpc/variables.tf:156]"
    ]


def test_unknown_dependency_target(example_copy: Path) -> None:
    edit(example_copy / "stacks/catalog/security-group/defaults.yaml", "component: vpc", "component: vpcx")
    findings = [f for f in _findings(example_copy) if "contract.unknown-dependency" in f]
    assert any("depends on 'vpcx'" in f for f in findings), findings


def _inst(stack: str, component: str, *deps: str) -> Instance:
    return Instance(stack=stack, component=component, folder=component, component_path=Path("."),
                    stack_file="s", stack_file_path=Path("s.yaml"), section={},
                    dependencies=tuple(Dependency(d.split("/")[1], d.split("/")[0], "depends_on") for d in deps))


def test_dependency_cycle_is_printed_as_a_chain() -> None:
    instances = [_inst("a", "vpc", "a/sg"), _inst("a", "sg", "b/role"), _inst("b", "role", "a/vpc"),
                 _inst("b", "other")]
    assert dependency_cycles(instances) == [["a/sg", "b/role", "a/vpc", "a/sg"]]
    assert dependency_cycles([_inst("a", "vpc"), _inst("a", "sg", "a/vpc")]) == []
