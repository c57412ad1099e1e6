"""Atmos behaviour on real-repository shapes: duplicate keys, base components, name collisions, files in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.atmos import Resolver, load_config, notices
from harness.errors import ConfigError
from tests.unit.harness.conftest import DEFAULT_ATMOS_YAML, WriteRepo, run_cli


@pytest.fixture(autouse=True)
def _quiet_notices() -> None:
    notices.reset(lambda _text: None)


def _resolver(repo: Path) -> Resolver:
    return Resolver(load_config(repo))


# -- 1. duplicate keys ---------------------------------------------------------------------------------------
DUPLICATE = """\
vars: {tenant: plat, environment: ue1, stage: dev}
components:
  terraform:
    vpc:
      vars: {a: 1}
      settings: {}
      vars: {b: 2}
"""


def test_a_key_given_twice_in_a_manifest_is_an_error_naming_both_lines(write_repo: WriteRepo) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": DUPLICATE})
    with pytest.raises(ConfigError) as info:
        _resolver(repo).describe_stacks()
    assert str(info.value) == f"{repo / 'stacks/orgs/dev.yaml'}:7: duplicate key 'vars' (first at line 5)"


def test_a_key_given_twice_in_atmos_yaml_is_an_error(write_repo: WriteRepo) -> None:
    repo = write_repo({"atmos.yaml": DEFAULT_ATMOS_YAML + "stacks:\n  base_path: other\n",
                       "stacks/orgs/dev.yaml": "vars: {}\n"})
    with pytest.raises(ConfigError, match=r"atmos\.yaml:10: duplicate key 'stacks' \(first at line 5\)"):
        load_config(repo)


def test_yaml_merge_keys_may_repeat_a_key(write_repo: WriteRepo) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": """\
        vars: {tenant: plat, environment: ue1, stage: dev}
        defaults: &defaults {a: 1, b: 1}
        components:
          terraform:
            vpc:
              vars:
                <<: *defaults
                b: 2
        """})
    assert _resolver(repo).describe_component("vpc", "plat-ue1-dev")["vars"]["b"] == 2


@pytest.mark.parametrize("command", [("validate", "stacks"), ("describe", "stacks")])
def test_cli_commands_report_the_duplicate_key(write_repo: WriteRepo, command: tuple[str, str]) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": DUPLICATE})
    result = run_cli(*command, "--base-path", str(repo))
    assert result.code == 1
    assert "stacks/orgs/dev.yaml:7: duplicate key 'vars' (first at line 5)" in result.out + result.err
    assert "Traceback" not in result.err


# -- 3. the imported file in messages ------------------------------------------------------------------------
def test_a_bad_section_in_an_imported_file_names_that_file_line_and_chain(write_repo: WriteRepo) -> None:
    repo = write_repo({
        "stacks/orgs/dev.yaml": "import: [mixins/region]\nvars: {tenant: plat, environment: ue1, stage: dev}\n"
                                "components: {terraform: {vpc: {}}}\n",
        "stacks/mixins/region.yaml": "import: [catalog/vpc]\n",
        "stacks/catalog/vpc.yaml": "components:\n  terraform:\n    vpc:\n      vars: [not, a, map]\n",
    })
    with pytest.raises(ConfigError) as info:
        _resolver(repo).describe_stacks()
    assert str(info.value) == (
        f"{repo / 'stacks/catalog/vpc.yaml'}:4: component 'vpc': 'vars' must be a map, got list "
        "(imported by stacks/mixins/region.yaml <- stacks/orgs/dev.yaml)")


# -- 4. base component and workspace -------------------------------------------------------------------------
BASES = """\
vars: {tenant: plat, environment: ue1, stage: dev}
components:
  terraform:
    mock:
      metadata: {component: mock}
    vpc/1:
      metadata: {component: vpc}
    legacy:
      component: legacy
"""


def test_a_component_whose_base_is_its_own_name_has_no_base(write_repo: WriteRepo) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": BASES})
    resolver = _resolver(repo)
    assert resolver.describe_component("mock", "plat-ue1-dev")["workspace"] == "plat-ue1-dev"
    assert resolver.describe_component("legacy", "plat-ue1-dev")["workspace"] == "plat-ue1-dev"
    assert resolver.describe_component("vpc/1", "plat-ue1-dev")["workspace"] == "plat-ue1-dev-vpc-1"
    assert resolver.instance("vpc/1", "plat-ue1-dev").workspace == "plat-ue1-dev-vpc-1"


def test_describe_stacks_gives_derived_components_the_stack_workspace(write_repo: WriteRepo) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": BASES})
    terraform = _resolver(repo).describe_stacks()["plat-ue1-dev"]["components"]["terraform"]
    assert {name: c["workspace"] for name, c in terraform.items()} == {
        "mock": "plat-ue1-dev", "vpc/1": "plat-ue1-dev", "legacy": "plat-ue1-dev"}


def test_describe_stacks_prefers_a_literal_workspace_over_a_pattern(write_repo: WriteRepo) -> None:
    repo = write_repo({"stacks/orgs/dev.yaml": """\
        vars: {tenant: plat, environment: ue1, stage: dev}
        components:
          terraform:
            vpc:
              metadata:
                terraform_workspace: literal
                terraform_workspace_pattern: "{tenant}-{component}"
        """})
    resolver = _resolver(repo)
    assert resolver.describe_component("vpc", "plat-ue1-dev")["workspace"] == "plat-vpc"
    stacks = resolver.describe_stacks()
    assert stacks["plat-ue1-dev"]["components"]["terraform"]["vpc"]["workspace"] == "literal"


# -- 8. stack-name collisions and patterns without tokens ----------------------------------------------------
def test_two_manifests_with_the_same_name_name_both_files_and_the_name_origin(write_repo: WriteRepo) -> None:
    catalog = "name: shared\ncomponents:\n  terraform:\n    vpc:\n      vars: {{cidr: {cidr}}}\n"
    repo = write_repo({
        "stacks/orgs/a.yaml": "import: [catalog/a]\nvars: {tenant: t, environment: e, stage: s}\n",
        "stacks/orgs/b.yaml": "import: [catalog/b]\nvars: {tenant: t, environment: e, stage: s}\n",
        "stacks/catalog/a.yaml": catalog.format(cidr="10.0.0.0/16"),
        "stacks/catalog/b.yaml": catalog.format(cidr="10.1.0.0/16"),
    })
    with pytest.raises(ConfigError) as info:
        _resolver(repo).describe_stacks()
    text = str(info.value)
    assert "'stacks/orgs/a.yaml' and 'stacks/orgs/b.yaml': both manifests produce stack 'shared'" in text
    assert "'name: shared' set in stacks/catalog/a.yaml:1 (imported by stacks/orgs/a.yaml)" in text
    assert "'name: shared' set in stacks/catalog/b.yaml:1 (imported by stacks/orgs/b.yaml)" in text


def test_pattern_collisions_say_the_pattern_produced_the_name(write_repo: WriteRepo) -> None:
    stack = "vars: {{tenant: t, environment: e, stage: s}}\ncomponents: {{terraform: {{vpc: {{vars: {{n: {n}}}}}}}}}\n"
    repo = write_repo({"stacks/orgs/a.yaml": stack.format(n=1), "stacks/orgs/b.yaml": stack.format(n=2)})
    with pytest.raises(ConfigError, match=r"stacks.name_pattern '\{tenant\}-\{environment\}-\{stage\}'"):
        _resolver(repo).describe_stacks()


def test_a_name_pattern_without_atmos_tokens_warns_and_uses_file_names(write_repo: WriteRepo) -> None:
    atmos = DEFAULT_ATMOS_YAML.replace('"{tenant}-{environment}-{stage}"', '"{dir}"')
    repo = write_repo({"atmos.yaml": atmos, "stacks/orgs/a.yaml": "components: {terraform: {vpc: {}}}\n",
                       "stacks/orgs/b.yaml": "components: {terraform: {vpc: {}}}\n"})
    seen: list[str] = []
    notices.reset(seen.append)
    assert sorted(_resolver(repo).describe_stacks()) == ["orgs/a", "orgs/b"]
    assert len(seen) == 1 and "stacks.name_pattern '{dir}' holds none of the Atmos tokens" in seen[0]
    assert "names each stack after its manifest file" in seen[0]
