"""Version-aware rules: each rule of harness.atmos.versions follows the Atmos a repository targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.atmos import Resolver, load_config, notices
from harness.atmos.versions import NEWEST, RULES, Target, parse_version, target_of
from harness.errors import ConfigError
from tests.unit.harness.conftest import DEFAULT_ATMOS_YAML, WriteRepo, run_cli

STACK = """\
import: [catalog/base]
vars: {tenant: plat, environment: ue1, stage: dev}
components:
  terraform:
    vpc:
      vars: {cidr: 10.0.0.0/16}
"""
CATALOG = """\
vars:
  owner: team
metadata:
  labels: {team: core}
  component: shared
components:
  terraform:
    vpc:
      vars: {name: vpc}
"""


def _repo(write_repo: WriteRepo, atmos_extra: str = "") -> Path:
    return write_repo({
        "atmos.yaml": DEFAULT_ATMOS_YAML + atmos_extra,
        "stacks/orgs/plat/dev.yaml": STACK,
        "stacks/catalog/base.yaml": CATALOG,
        "components/terraform/vpc/main.tf": "",
    })


@pytest.fixture(autouse=True)
def _fresh_notices() -> None:
    notices.reset(lambda _text: None)


def test_every_rule_has_a_version_and_a_test() -> None:
    assert set(RULES) == {"stack-metadata-allow-list", "component-mocks"}
    for rule in RULES.values():
        assert rule.since <= NEWEST and rule.summary and rule.before


@pytest.mark.parametrize(("raw", "expected"), [
    ({"version": {"use": "1.163.0"}}, (1, 163, 0)),
    ({"version": {"constraint": {"require": ">= 1.160, < 2.0"}}}, (1, 160, 0)),
    ({"version": {"use": "v1.200"}, "settings": {"harness": {"atmos_version": "1.225.1"}}}, (1, 225, 1)),
    ({}, None),
])
def test_target_version_is_read_from_atmos_yaml(raw: dict[str, object], expected: tuple[int, int, int] | None) -> None:
    assert target_of(raw).version == expected


def test_a_declared_value_that_is_no_version_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"version\.use: .latest. names no Atmos version"):
        target_of({"version": {"use": "latest"}})


def test_rules_apply_from_their_version_on() -> None:
    assert parse_version("1.224.9") == (1, 224, 9)
    assert not Target((1, 224, 9)).applies("stack-metadata-allow-list")
    assert Target((1, 225, 0)).applies("stack-metadata-allow-list")
    assert Target(None).applies("stack-metadata-allow-list")
    assert not Target((1, 223, 0)).applies("component-mocks")
    assert Target((1, 224, 0)).applies("component-mocks")


def test_stack_metadata_with_extra_keys_fails_at_the_imported_file_with_the_hint(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo)
    resolver = Resolver(load_config(repo))
    with pytest.raises(ConfigError) as info:
        resolver.describe_stacks()
    text = str(info.value)
    assert text.startswith(f"{repo / 'stacks/catalog/base.yaml'}:5: stack-level 'metadata' may only hold"), text
    assert "found component" in text and "(imported by stacks/orgs/plat/dev.yaml)" in text
    assert "Atmos 1.225.0 rule" in text and "version: {use: 1.163.0}" in text


def test_older_atmos_ignores_stack_metadata_with_one_warning(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo, "version:\n  use: 1.163.0\n")
    seen: list[str] = []
    notices.reset(seen.append)
    resolver = Resolver(load_config(repo))
    described = resolver.describe_stacks()
    resolver2 = Resolver(load_config(repo))
    resolver2.describe_component("vpc", "plat-ue1-dev")  # the same warning is not printed again
    vpc = described["plat-ue1-dev"]["components"]["terraform"]["vpc"]
    assert vpc["metadata"] == {} and vpc["vars"]["owner"] == "team"
    assert len(seen) == 1, seen
    assert seen[0].startswith("stacks/catalog/base.yaml:5: stack-level 'metadata' holds component"), seen[0]
    assert "Atmos 1.225.0" in seen[0] and "targets Atmos 1.163.0 (version.use in atmos.yaml)" in seen[0]


def test_newest_atmos_keeps_allowed_stack_metadata(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo)
    (repo / "stacks/catalog/base.yaml").write_text(CATALOG.replace("  component: shared\n", ""))
    vpc = Resolver(load_config(repo)).describe_component("vpc", "plat-ue1-dev")
    assert vpc["metadata"] == {"labels": {"team": "core"}}


def test_cli_prints_the_warning_once_and_describes(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo, "version:\n  use: 1.163.0\n")
    result = run_cli("describe", "stacks", "--format", "json", "--base-path", str(repo))
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "stacks/catalog/base.yaml:5" in warnings[0], result.err
    failed = run_cli("describe", "stacks", "--base-path", str(_repo_without_version(repo)))
    assert failed.code == 1 and "stacks/catalog/base.yaml:5" in failed.err and "Traceback" not in failed.err


def _repo_without_version(repo: Path) -> Path:
    (repo / "atmos.yaml").write_text(DEFAULT_ATMOS_YAML)
    return repo
