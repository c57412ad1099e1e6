"""Affected selection on real git repositories, and deterministic sharding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.atmos import load_config
from harness.errors import HarnessError
from harness.select import affected_instances, assign_shards, parse_shard
from tests.unit.harness.conftest import REPO, WriteRepo, edit, run_cli


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def git_example(example_copy: Path) -> Path:
    """The example repository as a git repo with one commit."""
    _git(example_copy, "init", "-q", "-b", "main")
    _git(example_copy, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    _git(example_copy, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base")
    return example_copy


def _affected(repo: Path, base: str = "main") -> dict[str, list[str]]:
    """The affected instances, checked to be the same with the stack index (incremental) and without (full)."""
    config = load_config(repo)
    full = affected_instances(config, base, index="off")
    incremental = affected_instances(config, base)
    assert full.decided and incremental.decided, (full.note, incremental.note)
    assert (full.method, incremental.method) == ("full", "incremental")
    assert incremental.instances == full.instances
    assert incremental.changed_files == full.changed_files
    return full.instances


def test_nothing_changed_nothing_affected(git_example: Path) -> None:
    assert _affected(git_example) == {}


def test_catalog_file_imported_by_some_stacks_only(git_example: Path) -> None:
    edit(git_example / "stacks/catalog/guardduty.yaml", "FIFTEEN_MINUTES", "ONE_HOUR")
    affected = _affected(git_example)
    assert set(affected) == {"core-ue1-security/guardduty"}
    assert affected["core-ue1-security/guardduty"] == ["stack.vars", "manifest stacks/catalog/guardduty.yaml"]


def test_component_folder_change_affects_every_instance_of_it(git_example: Path) -> None:
    with (git_example / "components/terraform/budgets/main.tf").open("a") as fh:
        fh.write("\n# a comment is still a change to the component\n")
    affected = _affected(git_example)
    assert set(affected) == {"core-ue1-log-archive/budgets", "plat-ue1-dev/budgets", "plat-ue1-staging/budgets",
                             "plat-ue1-prod/budgets"}
    assert all(r == ["component"] for r in affected.values())


def test_stack_change_affects_its_instances_and_their_dependents(git_example: Path) -> None:
    edit(git_example / "stacks/orgs/acme/plat/dev/us-east-1.yaml", "10.10.0.0/16", "10.11.0.0/16")
    affected = _affected(git_example)
    assert affected["plat-ue1-dev/vpc"][0] == "stack.vars"
    assert "dependent of plat-ue1-dev/vpc" in affected["plat-ue1-dev/security-group/web"]
    assert not any(i.startswith(("plat-ue1-prod", "core-")) for i in affected), affected


def test_comment_only_change_in_a_stack_manifest_is_still_reported(git_example: Path) -> None:
    path = git_example / "stacks/orgs/acme/plat/staging/us-east-1.yaml"
    path.write_text("# reviewed\n" + path.read_text())
    affected = _affected(git_example)
    assert affected and all(i.startswith("plat-ue1-staging/") or "dependent of" in " ".join(r)
                            for i, r in affected.items())
    assert any("manifest stacks/orgs/acme/plat/staging/us-east-1.yaml" in r
               for reasons in affected.values() for r in reasons)


def test_declared_file_dependency(git_example: Path) -> None:
    config = git_example / "configs/budget-contacts.json"
    config.parent.mkdir()
    config.write_text('{"finops": "finops@acme.example.com"}\n')
    edit(git_example / "stacks/catalog/budgets.yaml", "      vars:\n",
         "      dependencies:\n        files: [configs/budget-contacts.json]\n      vars:\n")
    _git(git_example, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "dep")
    _git(git_example, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    _git(git_example, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "file")
    _git(git_example, "tag", "with-dependency")
    config.write_text('{"finops": "costs@acme.example.com"}\n')
    affected = _affected(git_example, "with-dependency")
    assert set(affected) == {"core-ue1-log-archive/budgets", "plat-ue1-dev/budgets", "plat-ue1-staging/budgets",
                             "plat-ue1-prod/budgets"}
    assert all(r == ["file"] for r in affected.values()), affected


def test_unreachable_base_says_so_and_decides_nothing(git_example: Path) -> None:
    result = affected_instances(load_config(git_example), "no-such-branch")
    assert not result.decided
    assert "no-such-branch" in result.note and "running everything" in result.note


def test_cli_json_lists_reasons(git_example: Path) -> None:
    edit(git_example / "stacks/catalog/guardduty.yaml", "FIFTEEN_MINUTES", "ONE_HOUR")
    result = run_cli("affected", "--base", "main", "--format", "json", "--base-path", str(git_example))
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["decided"] is True
    assert data["instances"] == [{"stack": "core-ue1-security", "component": "guardduty",
                                  "reasons": ["stack.vars", "manifest stacks/catalog/guardduty.yaml"]}]


def test_pytest_runs_only_affected_instances(git_example: Path) -> None:
    edit(git_example / "stacks/catalog/guardduty.yaml", "FIFTEEN_MINUTES", "ONE_HOUR")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/unit/components", "--base-path", str(git_example),
         "--affected-since", "main", "--harness-cache", "off", "-q", "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert "core-ue1-security/guardduty: stack.vars, manifest stacks/catalog/guardduty.yaml" in proc.stdout
    # the instance's two component tests and its built-in policy and contract items
    assert "4 passed, 207 deselected" in proc.stdout, proc.stdout[-2000:]


def test_shards_are_deterministic_disjoint_and_balanced() -> None:
    keys = [f"stack-{i}/vpc" for i in range(31)]
    first = assign_shards(keys, 4)
    assert first == assign_shards(list(reversed(keys)), 4)
    sizes = sorted(list(first.values()).count(k) for k in range(1, 5))
    assert sizes[-1] - sizes[0] <= 1
    durations = {k: (100.0 if k == "stack-0/vpc" else 1.0) for k in keys}
    weighted = assign_shards(keys, 4, durations)
    heavy = weighted["stack-0/vpc"]
    assert [k for k, s in weighted.items() if s == heavy] == ["stack-0/vpc"]


@pytest.mark.parametrize("bad", ["0/2", "3/2", "x", "1/0"])
def test_bad_shard_spec(bad: str) -> None:
    with pytest.raises(HarnessError, match="--shard"):
        parse_shard(bad)


def test_between_two_commits_ignores_the_working_tree(git_example: Path) -> None:
    edit(git_example / "stacks/catalog/guardduty.yaml", "FIFTEEN_MINUTES", "ONE_HOUR")
    _git(git_example, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "guardduty")
    edit(git_example / "stacks/catalog/budgets.yaml", "DAILY", "WEEKLY")  # uncommitted: not part of HEAD
    result = affected_instances(load_config(git_example), "main~1", "main")
    assert result.decided, result.note
    assert result.instances == {"core-ue1-security/guardduty": ["stack.vars", "manifest stacks/catalog/guardduty.yaml"]}


# -- the stack index: incremental answers -------------------------------------------------------------------
def _commit_all(repo: Path, message: str) -> None:
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", message)


def test_an_index_left_by_an_earlier_run_resolves_only_the_touched_manifests(git_example: Path) -> None:
    config = load_config(git_example)
    first = affected_instances(config, "main")  # builds the index: every manifest once
    manifests = len(first_manifests := list((git_example / "stacks/orgs").rglob("*.yaml")))
    assert first.method == "incremental" and first.instances == {}
    assert first.resolved_manifests == manifests - sum(p.name == "_defaults.yaml" for p in first_manifests)
    edit(git_example / "stacks/catalog/guardduty.yaml", "FIFTEEN_MINUTES", "ONE_HOUR")
    result = affected_instances(config, "main")
    assert result.instances == {"core-ue1-security/guardduty": ["stack.vars", "manifest stacks/catalog/guardduty.yaml"]}
    # one manifest imports the catalog file: re-indexed, then resolved at HEAD and at BASE
    assert result.resolved_manifests == 3
    again = affected_instances(config, "main")
    assert again.instances == result.instances and again.resolved_manifests == 2


def test_the_cache_folder_never_counts_as_a_change(git_example: Path) -> None:
    assert not (git_example / ".gitignore").exists()
    affected_instances(load_config(git_example), "main")
    assert (git_example / ".harness-cache/stack-index.sqlite").is_file()
    assert (git_example / ".harness-cache/.gitignore").read_text().strip().endswith("*")
    result = affected_instances(load_config(git_example), "main")
    assert result.changed_files == [] and result.instances == {}


GLOB_REPO = {
    "stacks/catalog/app/web.yaml": """
        components:
          terraform:
            web: {vars: {size: 1}}
    """,
    "stacks/orgs/acme/dev.yaml": """
        import: [catalog/app/*]
        vars: {tenant: acme, environment: ue1, stage: dev}
        components:
          terraform:
            api:
              settings:
                depends_on:
                  1: {component: worker}
    """,
    "stacks/orgs/acme/prod.yaml": """
        import: [catalog/app/web]
        vars: {tenant: acme, environment: ue1, stage: prod}
    """,
    "components/terraform/web/main.tf": 'variable "size" {}\n',
    "components/terraform/api/main.tf": "",
    "components/terraform/worker/main.tf": "",
}


@pytest.fixture
def glob_repo(write_repo: WriteRepo) -> Path:
    repo = write_repo(GLOB_REPO)
    _git(repo, "init", "-q", "-b", "main")
    _commit_all(repo, "base")
    affected_instances(load_config(repo), "main")  # an index from before the change
    return repo


def test_a_new_file_matched_by_an_import_glob(glob_repo: Path) -> None:
    (glob_repo / "stacks/catalog/app/worker.yaml").write_text("components:\n  terraform:\n    worker: {}\n")
    affected = _affected(glob_repo)
    assert set(affected) == {"acme-ue1-dev/worker", "acme-ue1-dev/api"}  # prod imports web by name only
    assert affected["acme-ue1-dev/worker"][-1] == "manifest stacks/catalog/app/worker.yaml"
    assert affected["acme-ue1-dev/api"] == ["dependent of acme-ue1-dev/worker"]


def test_a_deleted_file_matched_by_an_import_glob(glob_repo: Path) -> None:
    (glob_repo / "stacks/catalog/app/worker.yaml").write_text("components:\n  terraform:\n    worker: {}\n")
    _commit_all(glob_repo, "worker")
    _git(glob_repo, "tag", "with-worker")
    affected_instances(load_config(glob_repo), "with-worker")
    (glob_repo / "stacks/catalog/app/worker.yaml").unlink()
    (glob_repo / "stacks/catalog/app/web.yaml").write_text(
        (glob_repo / "stacks/catalog/app/web.yaml").read_text().replace("size: 1", "size: 2"))
    affected = _affected(glob_repo, "with-worker")
    # web changed in both stacks; worker is gone (deleted instances are not tested); api depends on nothing now
    assert affected == {"acme-ue1-dev/web": ["stack.vars", "manifest stacks/catalog/app/web.yaml"],
                        "acme-ue1-prod/web": ["stack.vars", "manifest stacks/catalog/app/web.yaml"]}


def test_a_renamed_stack_manifest_compares_with_its_old_self(glob_repo: Path) -> None:
    old = glob_repo / "stacks/orgs/acme/prod.yaml"
    new = glob_repo / "stacks/orgs/acme/production.yaml"
    new.write_text(old.read_text())
    old.unlink()
    affected = _affected(glob_repo)
    assert affected == {"acme-ue1-prod/web": ["manifest stacks/orgs/acme/production.yaml"]}


def test_a_changed_component_folder_reaches_untouched_stacks(glob_repo: Path) -> None:
    (glob_repo / "components/terraform/web/main.tf").write_text('variable "size" {\n  type = number\n}\n')
    assert _affected(glob_repo) == {"acme-ue1-dev/web": ["component"], "acme-ue1-prod/web": ["component"]}


def test_include_in_a_manifest_means_a_full_comparison(glob_repo: Path) -> None:
    (glob_repo / "stacks/catalog/app/web-vars.yaml").write_text("size: 3\n")
    edit(glob_repo / "stacks/catalog/app/web.yaml", "{vars: {size: 1}}", "{vars: !include ./web-vars.yaml}")
    _commit_all(glob_repo, "include")
    (glob_repo / "stacks/catalog/app/web-vars.yaml").write_text("size: 4\n")
    result = affected_instances(load_config(glob_repo), "main")
    assert result.method == "full"
    assert result.instances == {"acme-ue1-dev/web": ["stack.vars"], "acme-ue1-prod/web": ["stack.vars"]}


def test_other_files_in_the_stacks_folder_change_nothing(glob_repo: Path) -> None:
    diagram = glob_repo / "stacks/diagram.png"
    diagram.write_bytes(bytes(range(256)) * 4)  # not text, not a manifest
    (glob_repo / "stacks/README.md").write_text("# Stacks\n")
    _commit_all(glob_repo, "docs")
    _git(glob_repo, "tag", "with-docs")
    diagram.write_bytes(bytes(reversed(range(256))) * 4)
    (glob_repo / "stacks/README.md").write_text("# Stacks, explained\n")
    assert _affected(glob_repo, "with-docs") == {}


def test_a_long_first_indexing_shows_progress(tmp_path: Path) -> None:
    from benchmarks.synthetic import generate

    org = generate(tmp_path / "org", stacks=60, components=2)
    _git(org.root, "init", "-q", "-b", "main")
    _commit_all(org.root, "base")
    first = run_cli("affected", "--base", "main", "--base-path", str(org.root))
    assert first.code == 0, first.err
    assert "resolving stacks 60/60" in first.err
    assert "0 affected instance(s), 0 changed file(s); incremental comparison, 60 manifest(s) resolved" in first.err
    again = run_cli("affected", "--base", "main", "--base-path", str(org.root))
    assert "resolving stacks" not in again.err and "0 manifest(s) resolved" in again.err


# -- what makes "the harness changed" -------------------------------------------------------------------------
def test_a_new_test_file_is_a_harness_change_not_an_instance_change(git_example: Path) -> None:
    (git_example / "tests").mkdir()
    (git_example / "tests/test_new.py").write_text("def test_x() -> None:\n    pass\n")
    result = affected_instances(load_config(git_example), "main")
    assert result.harness_changed and result.harness_changes == ["tests/test_new.py"]
    assert result.instances == {}


def test_an_untracked_virtualenv_and_tool_output_never_count(git_example: Path) -> None:
    venv = git_example / ".venv"
    (venv / "lib/python3.11/site-packages/pkg").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for i in range(50):
        (venv / f"lib/python3.11/site-packages/pkg/m{i}.py").write_text("")
    for folder in ("components/terraform/vpc/.terraform/providers", "components/terraform/vpc/__pycache__"):
        (git_example / folder).mkdir(parents=True)
        (git_example / folder / "x.bin").write_text("x")
    nested = git_example / "tools/env"  # a virtualenv anywhere, by its pyvenv.cfg
    (nested / "bin").mkdir(parents=True)
    (nested / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (nested / "bin/python").write_text("")
    for base in ("main", None):
        result = affected_instances(load_config(git_example), "main", index="off" if base is None else None)
        assert result.changed_files == [] and result.instances == {} and not result.harness_changed


def test_harness_paths_come_from_settings_harness_in_atmos_yaml(git_example: Path) -> None:
    atmos = git_example / "atmos.yaml"
    text = atmos.read_text().split("  harness:")[0]
    atmos.write_text(text + "  harness:\n    affected:\n      harness_paths: [checks/, \"*.cfg\"]\n")
    _commit_all(git_example, "settings")
    (git_example / "checks").mkdir()
    (git_example / "checks/test_a.py").write_text("")
    (git_example / "setup.cfg").write_text("")
    (git_example / "noxfile.py").write_text("")  # a default path, no longer named
    result = affected_instances(load_config(git_example), "main")
    assert result.harness_changes == ["checks/test_a.py", "setup.cfg"]


def test_a_bad_harness_paths_setting_names_atmos_yaml(git_example: Path) -> None:
    atmos = git_example / "atmos.yaml"
    bad = "  harness:\n    affected:\n      harness_paths: tests\n"
    atmos.write_text(atmos.read_text().split("  harness:")[0] + bad)
    with pytest.raises(HarnessError, match=r"atmos\.yaml:\d+: settings\.harness\.affected\.harness_paths"):
        affected_instances(load_config(git_example), "main")


def test_another_installed_harness_version_is_a_harness_change(git_example: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import harness

    config = load_config(git_example)
    assert not affected_instances(config, "main").harness_changed  # records the version
    monkeypatch.setattr(harness, "__version__", "99.0")
    result = affected_instances(config, "main")
    assert result.harness_changed and result.harness_changes[0].endswith("-> 99.0")
    assert not affected_instances(config, "main").harness_changed  # recorded: changed once
