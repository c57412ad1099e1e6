"""The incremental ``affected`` (stack index + touched manifests) answers exactly as the full comparison.

Random edits of a generated organization in a real git repository: catalog, mixin, defaults and stack
manifests changed, added, renamed and deleted, files appearing under import globs, component folders edited,
dependencies declared. The stack index is kept from one example to the next, so it is stale in every way an
earlier run on another working tree can leave it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.synthetic import GeneratedOrg, generate
from harness.atmos import load_config
from harness.select import affected_instances


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def org_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedOrg, Path]:
    root = tmp_path_factory.mktemp("incremental") / "repo"
    org = generate(root, stacks=8, components=6, seed=11)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    return org, tmp_path_factory.mktemp("index") / "stack-index.json"


Edit = Callable[[Path, st.DrawFn], None]


def _files(repo: Path, pattern: str) -> list[Path]:
    return sorted((repo / "stacks").glob(pattern))


def _change_a_number(repo: Path, draw: st.DrawFn) -> None:
    path = draw(st.sampled_from(_files(repo, "**/*.yaml")))
    text = path.read_text()
    numbers = list(re.finditer(r"\b\d+\b", text))
    if not numbers:
        path.write_text(text + "\n# reviewed\n")
        return
    match = draw(st.sampled_from(numbers))
    path.write_text(text[: match.start()] + str(int(match.group()) + 1) + text[match.end():])


def _add_a_comment(repo: Path, draw: st.DrawFn) -> None:
    path = draw(st.sampled_from(_files(repo, "**/*.yaml")))
    path.write_text("# reviewed\n" + path.read_text())


def _new_family_member(repo: Path, draw: st.DrawFn) -> None:
    family = draw(st.sampled_from(["eks", "rds"]))
    (repo / "stacks/catalog" / f"{family}-extra.yaml").write_text(
        "components:\n  terraform:\n"
        f"    {family}-extra:\n      metadata: {{component: vpc}}\n      vars: {{size: 1}}\n")


def _delete_a_glob_member(repo: Path, draw: st.DrawFn) -> None:
    path = draw(st.sampled_from(_files(repo, "catalog/eks-*.yaml") + _files(repo, "catalog/rds-*.yaml")))
    path.unlink()


def _rename_a_stack(repo: Path, draw: st.DrawFn) -> None:
    path = draw(st.sampled_from(_files(repo, "orgs/*/*/*/*.yaml")))
    path.rename(path.with_name("renamed-" + path.name))


def _delete_a_stack(repo: Path, draw: st.DrawFn) -> None:
    draw(st.sampled_from(_files(repo, "orgs/*/*/*/*.yaml"))).unlink()


def _new_stack(repo: Path, draw: st.DrawFn) -> None:
    source = draw(st.sampled_from(_files(repo, "orgs/*/*/*/*.yaml")))
    text = source.read_text().replace("mixins/stage/dev", "mixins/stage/qa").replace("mixins/stage/staging",
                                                                                  "mixins/stage/qa")
    (repo / "stacks/mixins/stage/qa.yaml").write_text("vars:\n  stage: qa\n")
    source.with_name("new-" + source.name).write_text(text)


def _declare_a_dependency(repo: Path, draw: st.DrawFn) -> None:
    path = draw(st.sampled_from(_files(repo, "orgs/*/*/*/*.yaml")))
    target = draw(st.sampled_from(["vpc", "rds-cluster", "s3-bucket-logs"]))
    text = path.read_text().replace(
        "    vpc:\n", f"    vpc:\n      settings:\n        depends_on:\n          9: {{component: {target}}}\n", 1)
    path.write_text(text)


def _declare_a_file_dependency(repo: Path, draw: st.DrawFn) -> None:
    (repo / "configs").mkdir(exist_ok=True)
    (repo / "configs/limits.json").write_text(f'{{"max": {draw(st.integers(1, 9))}}}\n')
    path = repo / "stacks/catalog/vpc.yaml"
    path.write_text(path.read_text().replace(
        "      vars:\n", "      dependencies:\n        files: [configs/limits.json]\n      vars:\n", 1))


def _edit_a_component(repo: Path, draw: st.DrawFn) -> None:
    folder = draw(st.sampled_from(sorted((repo / "components/terraform").iterdir())))
    with (folder / "main.tf").open("a") as fh:
        fh.write("\n# reviewed\n")


EDITS: list[Edit] = [_change_a_number, _add_a_comment, _new_family_member, _delete_a_glob_member,
                     _rename_a_stack, _delete_a_stack, _new_stack, _declare_a_dependency,
                     _declare_a_file_dependency, _edit_a_component]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.data())
def test_incremental_affected_equals_the_full_comparison(org_repo: tuple[GeneratedOrg, Path],
                                                        data: st.DataObject) -> None:
    org, index = org_repo
    repo = org.root
    _git(repo, "reset", "-q", "--hard", "main")
    _git(repo, "clean", "-qfdx")
    shutil.rmtree(repo / ".harness-cache", ignore_errors=True)
    config = load_config(repo)
    for batch in range(data.draw(st.integers(1, 2), label="batches")):
        if batch:  # an index refreshed on the way, then more edits
            affected_instances(config, "main", index=index)
        for edit in data.draw(st.lists(st.sampled_from(EDITS), min_size=1, max_size=3), label="edits"):
            edit(repo, data.draw)
    full = affected_instances(config, "main", index="off")
    incremental = affected_instances(config, "main", index=index)
    assert incremental.decided == full.decided, (full.note, incremental.note)
    if full.decided:
        assert incremental.method == "incremental"
    assert incremental.instances == full.instances
    assert incremental.changed_files == full.changed_files
