"""The stack index: what it keeps of each instance, and when a cached record must be resolved again."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from harness.atmos import AtmosConfig, Resolver, load_config, stackindex
from harness.atmos.stackindex import ManifestRecord, load_index
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


# -- what a load finds stale: config, imported files, files appearing and disappearing ----------------------
GLOB_FILES = {
    **REPO_FILES,
    "stacks/catalog/extra/one.yaml": "components: {terraform: {one: {vars: {n: 1}}}}\n",
    "stacks/orgs/acme/qa.yaml": """
        import:
          - catalog/extra/*
          - path: catalog/optional
            skip_if_missing: true
        vars: {namespace: corp, tenant: acme, environment: ue1, stage: qa}
        components:
          terraform:
            net: {vars: {cidr: 10.2.0.0/16}}
    """,
}
DEV, PROD, QA = "stacks/orgs/acme/dev.yaml", "stacks/orgs/acme/prod.yaml", "stacks/orgs/acme/qa.yaml"


@pytest.fixture
def globbed(write_repo: WriteRepo, tmp_path: Path) -> tuple[Path, AtmosConfig, Path]:
    """A repository whose qa stack imports a glob and an optional file, indexed once."""
    repo = write_repo(GLOB_FILES)
    config = load_config(repo)
    cache = tmp_path / "cache" / "index.sqlite"
    load_index(config, cache).close()
    return repo, config, cache


def _resolved(config: AtmosConfig, cache: Path) -> list[str]:
    with load_index(config, cache) as index:
        return index.resolved


def _components(config: AtmosConfig, cache: Path, manifest: str) -> list[str]:
    with load_index(config, cache) as index:
        return sorted(i.component for i in index.records[manifest].instances)


def test_an_unchanged_repository_reads_no_record(globbed: tuple[Path, AtmosConfig, Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _repo, config, cache = globbed

    def no_record(_data: object) -> None:
        raise AssertionError("a record was read")

    monkeypatch.setattr(ManifestRecord, "from_json", no_record)
    with load_index(config, cache) as index:
        assert index.resolved == []
        assert index.touched([]) == []
        assert not index.includes_files


def test_a_changed_atmos_yaml_resolves_every_manifest_again(globbed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, _config, cache = globbed
    atmos = repo / "atmos.yaml"
    atmos.write_text(atmos.read_text().replace('name_pattern: "{tenant}-{environment}-{stage}"',
                                               'name_pattern: "{namespace}-{tenant}-{environment}-{stage}"'))
    config = load_config(repo)
    assert _resolved(config, cache) == [DEV, PROD, QA]
    with load_index(config, cache) as index:
        assert index.resolved == []
        assert {i.stack for _, i in index.instances()} == {"corp-acme-ue1-dev", "corp-acme-ue1-prod",
                                                           "corp-acme-ue1-qa"}


def test_a_changed_catalog_resolves_only_its_importers(globbed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, config, cache = globbed
    one = repo / "stacks/catalog/extra/one.yaml"
    one.write_text(one.read_text().replace("n: 1", "n: 2"))
    assert _resolved(config, cache) == [QA]
    catalog = repo / "stacks/catalog/app.yaml"
    catalog.write_text(catalog.read_text().replace("size: 1", "size: 3"))
    assert _resolved(config, cache) == [DEV]


def test_a_file_appearing_under_an_import_glob(globbed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, config, cache = globbed
    (repo / "stacks/catalog/extra/two.yaml").write_text("components: {terraform: {two: {vars: {n: 2}}}}\n")
    assert _resolved(config, cache) == [QA]
    assert _components(config, cache, QA) == ["net", "one", "two"]
    (repo / "stacks/catalog/extra/notes.txt").write_text("not a stack file\n")
    assert _resolved(config, cache) == []
    (repo / "stacks/catalog/extra/two.yaml").unlink()
    assert _resolved(config, cache) == [QA]
    assert _components(config, cache, QA) == ["net", "one"]


def test_a_folder_appearing_under_a_glob_and_going_again(globbed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, config, cache = globbed
    qa = repo / QA
    qa.write_text(qa.read_text().replace("catalog/extra/*", "catalog/extra/**/*"))
    assert _resolved(config, cache) == [QA]
    (repo / "stacks/catalog/extra/deep/er").mkdir(parents=True)
    (repo / "stacks/catalog/extra/deep/er/three.yaml").write_text("components: {terraform: {three: {}}}\n")
    assert _resolved(config, cache) == [QA]
    assert _components(config, cache, QA) == ["net", "one", "three"]
    shutil.rmtree(repo / "stacks/catalog/extra/deep")
    assert _resolved(config, cache) == [QA]
    assert _components(config, cache, QA) == ["net", "one"]


def test_an_optional_import_appearing(globbed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, config, cache = globbed
    (repo / "stacks/catalog/optional.yaml").write_text("components: {terraform: {opt: {vars: {n: 1}}}}\n")
    assert _resolved(config, cache) == [QA]
    assert _components(config, cache, QA) == ["net", "one", "opt"]


def test_a_template_beside_an_imported_file_wins(globbed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, config, cache = globbed
    (repo / "stacks/catalog/extra/one.yaml.tmpl").write_text("components: {terraform: {uno: {vars: {n: 1}}}}\n")
    assert _resolved(config, cache) == [QA]


def test_new_and_deleted_manifests(globbed: tuple[Path, AtmosConfig, Path]) -> None:
    repo, config, cache = globbed
    staging = repo / "stacks/orgs/acme/more/staging.yaml"
    staging.parent.mkdir()
    staging.write_text("vars: {namespace: corp, tenant: acme, environment: ue1, stage: staging}\n"
                       "components: {terraform: {net: {vars: {cidr: 10.3.0.0/16}}}}\n")
    (repo / "stacks/orgs/acme/more/_defaults.yaml").write_text("vars: {}\n")  # excluded: not a manifest
    assert _resolved(config, cache) == ["stacks/orgs/acme/more/staging.yaml"]
    (repo / PROD).unlink()
    assert _resolved(config, cache) == []
    with load_index(config, cache) as index:
        assert list(index.records) == [DEV, "stacks/orgs/acme/more/staging.yaml", QA]
        assert index.consumers("acme-ue1-dev/net") == ["acme-ue1-dev/app"]  # prod's reader is gone
    shutil.rmtree(repo / "stacks/orgs/acme/more")
    with load_index(config, cache) as index:
        assert index.resolved == []
        assert list(index.records) == [DEV, QA]


def test_a_symlinked_folder_is_checked_every_time(globbed: tuple[Path, AtmosConfig, Path],
                                                 tmp_path: Path) -> None:
    repo, config, cache = globbed
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.yaml").write_text("components: {terraform: {linked: {}}}\n")
    (repo / "stacks/catalog/extra/linked").symlink_to(outside)
    qa = repo / QA
    qa.write_text(qa.read_text().replace("catalog/extra/*\n", "catalog/extra/*\n  - catalog/extra/linked/*\n"))
    assert _resolved(config, cache) == [QA]
    assert _components(config, cache, QA) == ["linked", "net", "one"]
    (outside / "more.yaml").write_text("components: {terraform: {more: {}}}\n")  # no folder of the tree moves
    assert _resolved(config, cache) == [QA]
    assert _components(config, cache, QA) == ["linked", "more", "net", "one"]


def test_an_old_json_index_is_replaced(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo(REPO_FILES)
    cache = tmp_path / "index.sqlite"
    cache.write_text('{"version": 1, "manifests": {}}')
    config = load_config(repo)
    assert _resolved(config, cache) == [DEV, PROD]
    assert _resolved(config, cache) == []
    cache.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)  # damaged
    assert _resolved(config, cache) == [DEV, PROD]


def test_answers_from_a_cache_that_cannot_be_written(globbed: tuple[Path, AtmosConfig, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo, config, cache = globbed
    one = repo / "stacks/catalog/extra/one.yaml"
    one.write_text(one.read_text().replace("n: 1", "n: 2"))
    real = stackindex._write
    calls: list[sqlite3.Connection] = []

    def write_once_fails(db: sqlite3.Connection, *args: Any) -> None:
        calls.append(db)
        if len(calls) == 1:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        real(db, *args)

    monkeypatch.setattr(stackindex, "_write", write_once_fails)
    with load_index(config, cache) as index:
        assert index.resolved == [QA]
        assert index.touched([repo / "stacks/catalog/extra/one.yaml"]) == [QA]
    monkeypatch.setattr(stackindex, "_write", real)
    assert _resolved(config, cache) == [QA]  # the file kept the old record
