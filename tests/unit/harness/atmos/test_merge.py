"""Deep-merge and YAML-tag behaviour that Atmos defines (spec §3, §5), on real YAML text."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.atmos import Resolver, load_config
from harness.atmos.merge import deep_merge
from harness.atmos.yamlio import AppendList, loads
from harness.errors import ConfigError
from tests.unit.harness.conftest import WriteRepo


@pytest.mark.parametrize(
    ("dst", "src", "strategy", "want"),
    [
        ({"a": [1, 2]}, {"a": [3]}, "replace", {"a": [3]}),
        ({"a": [1, 2]}, {"a": [3]}, "append", {"a": [1, 2, 3]}),
        ({"a": ["a", "b"]}, {"a": ["c"]}, "merge", {"a": ["a", "b"]}),
        ({"a": ["a"]}, {"a": ["c", "d"]}, "merge", {"a": ["a", "d"]}),
        ({"a": [{"x": 1}]}, {"a": [{"y": 2}]}, "merge", {"a": [{"x": 1, "y": 2}]}),
        ({"a": [1]}, {"a": {}}, "replace", {"a": {}}),
        ({"a": [1]}, {"a": None}, "replace", {"a": None}),
        ({"a": {"b": 1}}, {"a": "s"}, "replace", {"a": "s"}),
        ({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}, "replace", {"a": {"b": 1, "c": 3}}),
    ],
)
def test_merge_rules(dst: dict, src: dict, strategy: str, want: dict) -> None:
    assert deep_merge([dst, src], strategy) == want


def test_empty_maps_are_no_ops_and_inputs_are_not_mutated() -> None:
    dst = {"a": {"b": [1]}}
    src = {"a": {"b": [2]}}
    assert deep_merge([dst, {}, None, src, {"a": {}}], "append") == {"a": {"b": [1, 2]}}
    assert dst == {"a": {"b": [1]}} and src == {"a": {"b": [2]}}


def test_append_tag_appends_whatever_the_strategy() -> None:
    src = loads("a: !append [3]\n")
    assert isinstance(src["a"], AppendList)
    assert deep_merge([{"a": [1, 2]}, src], "replace") == {"a": [1, 2, 3]}


def test_function_tags_become_strings_and_unknown_tags_fail() -> None:
    data = loads("a: !env HOME\nb: !terraform.output vpc vpc_id\nc: !!str 5\n")
    assert data == {"a": "!env HOME", "b": "!terraform.output vpc vpc_id", "c": "5"}
    with pytest.raises(ConfigError, match="unsupported YAML tag '!nope'") as info:
        loads("x: 1\ny: !nope z\n", "f.yaml")
    assert info.value.line == 2


def test_integer_keys_are_strings() -> None:
    assert loads("depends_on:\n  1: {component: vpc}\n") == {"depends_on": {"1": {"component": "vpc"}}}


def test_relative_imports_globs_include_and_append(write_repo: WriteRepo) -> None:
    repo = write_repo({
        "stacks/orgs/acme/plat/_defaults.yaml": "vars: {tenant: plat}\nsettings: {tags_from: defaults}\n",
        "stacks/orgs/acme/plat/dev/us-east-1.yaml": """\
            import:
              - ../_defaults
              - catalog/*
            vars: {environment: ue1, stage: dev}
            components:
              terraform:
                vpc:
                  vars:
                    tags: !append [dev]
                    extra: !include ../../../../../extra.tfvars
            """,
        "stacks/catalog/a.yaml": "components: {terraform: {vpc: {vars: {tags: [a], order: a}}}}\n",
        "stacks/catalog/b.yaml": "components: {terraform: {vpc: {vars: {tags: !append [b], order: b}}}}\n",
        "extra.tfvars": 'instance_type = "t3.small"\n',
    })
    resolver = Resolver(load_config(repo), process_functions=True)
    section = resolver.describe_component("vpc", "plat-ue1-dev")
    assert section["vars"]["tags"] == ["a", "b", "dev"]
    assert section["vars"]["order"] == "b"  # glob matches merge in sorted order, last wins
    assert section["vars"]["extra"] == {"instance_type": "t3.small"}
    assert section["imports"] == ["catalog/a", "catalog/b", "orgs/acme/plat/_defaults"]
    assert type(section["vars"]["tags"]) is list


def test_append_marker_is_consumed_by_the_file_merge(write_repo: WriteRepo) -> None:
    repo = write_repo({
        "stacks/orgs/acme/plat/dev.yaml": """\
            vars: {tenant: plat, environment: ue1, stage: dev, tags: [global]}
            components:
              terraform:
                vpc:
                  vars:
                    tags: !append [component]
            """,
    })
    section = Resolver(load_config(repo)).describe_component("vpc", "plat-ue1-dev")
    assert section["vars"]["tags"] == ["component"]


def test_env_reads_component_env_then_os_env(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo({
        "stacks/orgs/acme/plat/dev.yaml": """\
            vars: {tenant: plat, environment: ue1, stage: dev}
            env: {FROM_STACK: stack-value}
            components:
              terraform:
                vpc:
                  vars:
                    a: !env FROM_STACK
                    b: !env FROM_OS
                    c: !env MISSING fallback
            """,
    })
    resolver = Resolver(load_config(repo), env={"FROM_OS": "os-value", "FROM_STACK": "loses"})
    assert resolver.describe_component("vpc", "plat-ue1-dev")["vars"] == {
        "tenant": "plat", "environment": "ue1", "stage": "dev", "a": "stack-value", "b": "os-value", "c": "fallback",
    }
