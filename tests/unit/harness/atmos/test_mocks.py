"""``!terraform.output``/``!terraform.state`` with yq paths and ``//`` defaults, and component ``mocks``."""

from __future__ import annotations

import json

import pytest

from harness.atmos import Resolver, load_config, notices
from harness.atmos.functions import TerraformRef, output_value, parse_terraform_ref
from harness.errors import ConfigError, HarnessError
from tests.unit.harness.conftest import DEFAULT_ATMOS_YAML, WriteRepo, run_cli

STACK = """\
vars: {tenant: plat, environment: ue1, stage: dev}
components:
  terraform:
    vpc-defaults:
      metadata: {type: abstract}
      mocks:
        vpc_id: vpc-base
        subnets: [subnet-a, subnet-b]
    vpc:
      metadata: {inherits: [vpc-defaults]}
      mocks:
        vpc_id: vpc-local
        config: {cidr: 10.0.0.0/16}
    app:
      vars:
        vpc_id: !terraform.output vpc vpc_id
        first_subnet: !terraform.state vpc .subnets[0]
        cidr: !terraform.state vpc plat-ue1-dev '.config.cidr'
        zone: !terraform.state vpc .zone_id // "zone-default"
        quoted: !terraform.state vpc '.missing // "fallback"'
"""


@pytest.fixture(autouse=True)
def _quiet() -> None:
    notices.reset(lambda _text: None)


@pytest.mark.parametrize(("args", "stack", "expression"), [
    ("vpc vpc_id", None, "vpc_id"),
    ("vpc plat-ue1-dev vpc_id", "plat-ue1-dev", "vpc_id"),
    ('vpc .vpc_id // "vpc-default"', None, '.vpc_id // "vpc-default"'),
    ("vpc '.vpc_id // \"vpc-default\"'", None, '.vpc_id // "vpc-default"'),
    ('vpc plat-ue1-dev .ids[0] // "x"', "plat-ue1-dev", '.ids[0] // "x"'),
])
def test_references_parse_stack_and_expression(args: str, stack: str | None, expression: str) -> None:
    ref = parse_terraform_ref("!terraform.state", args)
    assert (ref.ref_component, ref.ref_stack, ref.expression) == ("vpc", stack, expression)


def test_output_expressions_follow_yq_paths_and_defaults() -> None:
    outputs = {"vpc_id": "vpc-1", "ids": ["a", "b"], "tags": {"Name": "x"}, "empty": None}
    assert output_value(outputs, "vpc_id", where="t") == "vpc-1"
    assert output_value(outputs, ".ids[1]", where="t") == "b"
    assert output_value(outputs, '.tags["Name"]', where="t") == "x"
    assert output_value(outputs, ".", where="t") == outputs
    assert output_value(outputs, '.missing // "d"', where="t") == "d"
    assert output_value(outputs, ".empty // 3", where="t") == 3
    with pytest.raises(HarnessError, match="output 'missing' is not in"):
        output_value(outputs, ".missing", where="t")


def test_with_use_mocks_references_read_the_producers_mocks(write_repo: WriteRepo) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": STACK})
    resolver = Resolver(load_config(repo), use_mocks=True)
    app = resolver.describe_component("app", "plat-ue1-dev")
    assert {k: v for k, v in app["vars"].items() if k not in ("tenant", "environment", "stage")} == {
        "vpc_id": "vpc-local", "first_subnet": "subnet-a", "cidr": "10.0.0.0/16",
        "zone": "zone-default", "quoted": "fallback"}
    assert {(d.component, d.kind) for d in resolver.instance("app", "plat-ue1-dev").dependencies} == {
        ("vpc", "terraform.output"), ("vpc", "terraform.state")}


def test_without_use_mocks_references_stay_deferred(write_repo: WriteRepo) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": STACK})
    app = Resolver(load_config(repo)).describe_component("app", "plat-ue1-dev")
    assert isinstance(app["vars"]["vpc_id"], TerraformRef)


def test_mocks_fail_closed(write_repo: WriteRepo) -> None:
    stack = STACK.replace("        vpc_id: vpc-local\n", "")
    repo = write_repo({"stacks/orgs/dev.yaml": stack.replace("        vpc_id: vpc-base\n", "")})
    with pytest.raises(HarnessError, match=r"output 'vpc_id' is not in the 'mocks' of component 'vpc'"):
        Resolver(load_config(repo), use_mocks=True).describe_component("app", "plat-ue1-dev")
    repo2 = write_repo({"stacks/orgs/dev.yaml": (
        "vars: {tenant: plat, environment: ue1, stage: dev}\n"
        "components:\n  terraform:\n    vpc: {vars: {}}\n"
        "    app:\n      vars:\n        vpc_id: !terraform.output vpc vpc_id\n")})
    with pytest.raises(ConfigError, match="declares no 'mocks' section"):
        Resolver(load_config(repo2), use_mocks=True).describe_component("app", "plat-ue1-dev")


def test_an_atmos_older_than_mocks_ignores_use_mocks_with_a_warning(write_repo: WriteRepo) -> None:
    repo = write_repo({"atmos.yaml": DEFAULT_ATMOS_YAML + "version:\n  use: 1.200.0\n",
                       "stacks/orgs/dev.yaml": STACK})
    seen: list[str] = []
    notices.reset(seen.append)
    app = Resolver(load_config(repo), use_mocks=True).describe_component("app", "plat-ue1-dev")
    assert isinstance(app["vars"]["vpc_id"], TerraformRef)
    assert len(seen) == 1 and "Atmos 1.224.0" in seen[0]


def test_cli_describe_component_use_mocks(write_repo: WriteRepo) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": STACK})
    result = run_cli("describe", "component", "app", "-s", "plat-ue1-dev", "--use-mocks", "--format", "json",
                     "--base-path", str(repo))
    assert result.code == 0, result.err
    assert json.loads(result.out)["vars"]["vpc_id"] == "vpc-local"
