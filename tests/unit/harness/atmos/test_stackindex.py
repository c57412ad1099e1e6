"""The stack index: what it keeps of each instance, and when a cached record must be resolved again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.atmos import AtmosConfig, Resolver, load_config
from harness.atmos.stackindex import load_index
from tests.unit.harness.conftest import WriteRepo

REPO_FILES = {
    "stacks/catalog/app.yaml": """
        components:
          terraform:
            app/defaults:
              metadata: {type: abstract}
              vars: {size: 1}
            app:
              metadata: {inherits: [app/defaults]}
              settings:
                depends_on:
                  1: {component: net}
                  2: {file: configs/app.json}
    """,
    "stacks/orgs/acme/dev.yaml": """
        import: [catalog/app]
        vars: {namespace: corp, tenant: acme, environment: ue1, stage: dev}
        components:
          terraform:
            net: {vars: {cidr: 10.0.0.0/16}}
    """,
    "stacks/orgs/acme/prod.yaml": """
        vars: {namespace: corp, tenant: acme, environment: ue1, stage: prod}
        components:
          terraform:
            net: {vars: {cidr: 10.1.0.0/16}}
            reader:
              settings:
                depends_on:
                  1: {component: net, stage: dev}
    """,
}


def test_records_hold_what_affected_reads(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo(REPO_FILES)
    index = load_index(load_config(repo), tmp_path / "index.json")
    assert list(index.records) == ["stacks/orgs/acme/dev.yaml", "stacks/orgs/acme/prod.yaml"]
    dev = {i.component: i for i in index.records["stacks/orgs/acme/dev.yaml"].instances}
    assert sorted(dev) == ["app", "app/defaults", "net"]
    assert not dev["app/defaults"].deployable and dev["app"].deployable
    assert list(dev["app"].inheritance) == ["app/defaults"]
    assert [list(d) for d in dev["app"].dependencies] == [["acme-ue1-dev", "net"]]
    assert [list(d) for d in dev["app"].file_deps] == [["file", "configs/app.json"]]
    assert dict(dev["net"].context) == {"namespace": "corp", "tenant": "acme", "environment": "ue1", "stage": "dev"}
    assert set(index.records["stacks/orgs/acme/dev.yaml"].files) == {"stacks/orgs/acme/dev.yaml",
                                                                      "stacks/catalog/app.yaml"}
    prod = {i.component: i for i in index.records["stacks/orgs/acme/prod.yaml"].instances}
    assert [list(d) for d in prod["reader"].dependencies] == [["acme-ue1-dev", "net"]]  # found by context


def test_a_cached_record_is_reused_until_one_of_its_files_changes(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo(REPO_FILES)
    cache = tmp_path / "index.json"
    config = load_config(repo)
    assert load_index(config, cache).resolved == ["stacks/orgs/acme/dev.yaml", "stacks/orgs/acme/prod.yaml"]
    assert load_index(config, cache).resolved == []
    catalog = repo / "stacks/catalog/app.yaml"
    catalog.write_text(catalog.read_text().replace("size: 1", "size: 2"))
    assert load_index(config, cache).resolved == ["stacks/orgs/acme/dev.yaml"]
    assert load_index(config, cache).resolved == []


@pytest.fixture
def indexed(write_repo: WriteRepo, tmp_path: Path) -> tuple[Path, AtmosConfig, Path]:
    """The repository, its configuration and a cache file an earlier run wrote."""
    repo = write_repo(REPO_FILES)
    config = load_config(repo)
    load_index(config, tmp_path / "index.json")
    return repo, config, tmp_path / "index.json"


def test_same_size_and_mtime_but_new_content_is_still_seen(indexed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, config, cache = indexed
    prod = repo / "stacks/orgs/acme/prod.yaml"
    before = prod.stat()
    prod.write_text(prod.read_text().replace("stage: dev}", "stage: qa}"))  # same length
    os.utime(prod, ns=(before.st_atime_ns, before.st_mtime_ns))
    index = load_index(config, cache)
    assert index.resolved == ["stacks/orgs/acme/prod.yaml"]
    reader = next(i for i in index.records["stacks/orgs/acme/prod.yaml"].instances if i.component == "reader")
    assert [list(d) for d in reader.dependencies] == [["corp-acme-ue1-qa", "net"]]  # no such stack: the joined name


def test_corrupt_or_foreign_caches_are_rebuilt(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo(REPO_FILES)
    cache = tmp_path / "index.json"
    config = load_config(repo)
    cache.write_text("{not json")
    assert len(load_index(config, cache).resolved) == 2
    other = load_config(repo, override={"settings": {"list_merge_strategy": "append"}})
    assert len(load_index(other, cache).resolved) == 2  # another configuration: nothing reused
    assert len(load_index(config, cache).resolved) == 2


def test_manifests_that_read_the_environment_are_resolved_every_time(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo({**REPO_FILES, "stacks/orgs/acme/prod.yaml": """
        vars: {namespace: corp, tenant: acme, environment: ue1, stage: prod}
        components:
          terraform:
            reader:
              settings:
                depends_on:
                  1: {component: !env READER_NEEDS}
    """})
    cache = tmp_path / "index.json"
    config = load_config(repo)
    first = load_index(config, cache, env={"READER_NEEDS": "net"})
    second = load_index(config, cache, env={"READER_NEEDS": "app"})
    assert first.resolved == ["stacks/orgs/acme/dev.yaml", "stacks/orgs/acme/prod.yaml"]
    assert second.resolved == ["stacks/orgs/acme/prod.yaml"]
    (reader,) = second.records["stacks/orgs/acme/prod.yaml"].instances
    assert [list(d) for d in reader.dependencies] == [["acme-ue1-prod", "app"]]


def test_a_partial_rebuild_looks_other_stacks_up_by_context(indexed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, config, cache = indexed
    prod = repo / "stacks/orgs/acme/prod.yaml"
    prod.write_text("# reviewed\n" + prod.read_text())
    index = load_index(config, cache)
    assert index.resolved == ["stacks/orgs/acme/prod.yaml"]
    full = {i.id: [[d.stack, d.component] for d in i.dependencies]
            for i in Resolver(config).instances(include_abstract=True)}
    assert {i.id: [list(d) for d in i.dependencies] for _, i in index.instances()} == full
