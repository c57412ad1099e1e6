"""``describe affected``: section compares on hand-built stacks, the git layer on real repositories,
and the Atmos oracle cases (HEAD = ``stacks/``, BASE = ``stacks-affected/``)."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.atmos import gitrev
from harness.atmos.affected import describe_affected, go_equal, mark_included_in_dependents, rebase_config
from harness.errors import HarnessError
from tests.unit.harness.oracle import ATMOS_CASES

ORACLE = ATMOS_CASES


@dataclass
class FakeConfig:
    base_path: Path
    components_base_path: Path
    raw: dict[str, Any] = field(default_factory=dict)
    cwd: Path = field(default_factory=Path.cwd)


def comp(
    vars_: dict[str, Any] | None = None,
    *,
    settings: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    folder: str = "mock",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "component": folder,
        "vars": vars_ if vars_ is not None else {},
        "settings": settings if settings is not None else {},
        "metadata": metadata if metadata is not None else {},
        "env": {},
        "component_info": {"component_path": f"components/terraform/{folder}", "component_type": "terraform"},
        **extra,
    }


def tf(**stacks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name.replace("_", "-"): {"components": {"terraform": comps}} for name, comps in stacks.items()}


def reasons(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {f"{i['component']}@{i['stack']}": i["affected_all"] for i in items}


def test_go_equal_keeps_types_apart() -> None:
    assert go_equal({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "x"}]})
    assert not go_equal(1, 1.0)
    assert not go_equal(1, True)
    assert not go_equal("1", 1)
    assert not go_equal({}, None)
    assert not go_equal({"a": 1}, {"a": 1, "b": None})


def test_no_change_no_items() -> None:
    head = tf(dev={"vpc": comp({"a": 1})})
    assert describe_affected(head, copy.deepcopy(head)) == []


def test_reasons_in_atmos_order() -> None:
    head = tf(dev={"vpc": comp({"a": 1}, settings={"x": 1}, metadata={"component": "mock"}, backend={"b": 1})})
    base = tf(dev={"vpc": comp({"a": 2}, settings={"x": 2}, metadata={}, backend={"b": 2})})
    [item] = describe_affected(head, base, include_settings=True)
    assert item["affected"] == "stack.metadata"
    assert item["affected_all"] == ["stack.metadata", "stack.vars", "stack.backend", "stack.settings"]
    assert item["settings"] == {"x": 1}
    assert item["dependents"] is None and item["included_in_dependents"] is False
    assert "namespace" not in item and "file" not in item


def test_int_and_float_differ() -> None:
    head = tf(dev={"vpc": comp({"size": 1})})
    base = tf(dev={"vpc": comp({"size": 1.0})})
    assert reasons(describe_affected(head, base)) == {"vpc@dev": ["stack.vars"]}


def test_new_component_reports_metadata_then_sections() -> None:
    head = tf(dev={"vpc": comp({"a": 1}), "new": comp({"a": 1})})
    base = tf(dev={"vpc": comp({"a": 1})})
    assert reasons(describe_affected(head, base)) == {
        "new@dev": ["stack.metadata", "stack.vars", "stack.env", "stack.settings"]
    }


def test_skips_abstract_disabled_and_locked_when_asked() -> None:
    head = tf(
        dev={
            "abstract": comp({"a": 1}, metadata={"type": "abstract"}),
            "off": comp({"a": 1}, metadata={"enabled": False}),
            "locked": comp({"a": 1}, metadata={"locked": True}),
        }
    )
    base = tf(
        dev={
            name: comp({"a": 2}, metadata=sec["metadata"])
            for name, sec in head["dev"]["components"]["terraform"].items()
        }
    )
    assert reasons(describe_affected(head, base)) == {"locked@dev": ["stack.vars"]}
    assert describe_affected(head, base, exclude_locked=True) == []


def test_deleted_component_and_stack() -> None:
    head = tf(dev={"vpc": comp()})
    base = tf(
        dev={"vpc": comp(), "gone": comp({"stage": "dev"}), "abstract": comp(metadata={"type": "abstract"})},
        prod={"vpc": comp({"namespace": "acme", "stage": "prod"})},
    )
    items = {f"{i['component']}@{i['stack']}": i for i in describe_affected(head, base, include_settings=True)}
    assert set(items) == {"gone@dev", "vpc@prod"}
    assert items["gone@dev"] == {
        "component": "gone",
        "component_type": "terraform",
        "component_path": "components/terraform/mock",
        "stage": "dev",
        "stack": "dev",
        "stack_slug": "dev-gone",
        "affected": "deleted",
        "affected_all": ["deleted"],
        "dependents": None,
        "included_in_dependents": False,
        "settings": None,
        "deleted": True,
        "deletion_type": "component",
    }
    assert items["vpc@prod"]["affected"] == "deleted.stack"
    assert items["vpc@prod"]["deletion_type"] == "stack"
    assert items["vpc@prod"]["namespace"] == "acme"
    with_deps = describe_affected(head, base, include_dependents=True)
    assert all(i["dependents"] == [] for i in with_deps)


def test_component_folder_module_and_dependency_files(tmp_path: Path) -> None:
    tf_base = tmp_path / "components/terraform"
    (tf_base / "vpc").mkdir(parents=True)
    (tf_base / "vpc/main.tf").write_text('module "net" {\n  source = "../../../modules/net"\n}\n')
    (tmp_path / "modules/net").mkdir(parents=True)
    config = FakeConfig(base_path=tmp_path, components_base_path=tf_base, cwd=tmp_path)
    stacks = tf(
        dev={
            "vpc": comp(folder="vpc"),
            "vpc-2": comp(folder="vpc", metadata={"component": "vpc"}),
            "app": comp(folder="app", settings={"depends_on": {1: {"file": "config/app.json"}}}),
            "lambda": comp(folder="lambda", dependencies={"folders": ["src/lambda"]}),
        }
    )

    def run(*changed: str) -> dict[str, list[str]]:
        return reasons(describe_affected(stacks, stacks, changed_files=changed, config=config, repo_root=tmp_path))

    assert run("components/terraform/vpc/main.tf") == {"vpc@dev": ["component"], "vpc-2@dev": ["component"]}
    assert run("modules/net/variables.tf") == {"vpc@dev": ["component.module"], "vpc-2@dev": ["component.module"]}
    assert run("config/app.json", "src/lambda/handler.py") == {"app@dev": ["file"], "lambda@dev": ["folder"]}
    items = describe_affected(stacks, stacks, changed_files=["config/app.json"], config=config, repo_root=tmp_path)
    assert items[0]["file"] == "config/app.json" and "folder" not in items[0]


def test_sections_from_atmos_yaml(tmp_path: Path) -> None:
    config = FakeConfig(tmp_path, tmp_path, raw={"describe": {"affected": {"sections": ["hooks"]}}})
    head = tf(dev={"vpc": comp({"a": 1}, hooks={"h": 1})})
    base = tf(dev={"vpc": comp({"a": 2}, hooks={"h": 2})})
    assert reasons(describe_affected(head, base, config=config)) == {"vpc@dev": ["stack.hooks"]}


def test_dependents_and_included_marks() -> None:
    head = tf(
        dev={
            "vpc": comp({"a": 1}),
            "hub": comp({"a": 1}, settings={"depends_on": {1: {"component": "vpc"}}}),
            "att": comp(settings={"depends_on": {1: {"component": "vpc"}, 2: {"component": "hub"}}}),
        },
        prod={"vpc": comp({"a": 1})},
    )
    base = tf(dev={"vpc": comp({"a": 2}), "hub": comp({"a": 2}), "att": comp()}, prod={"vpc": comp({"a": 2})})
    items = {f"{i['component']}@{i['stack']}": i for i in describe_affected(head, base, include_dependents=True)}
    vpc, hub = items["vpc@dev"], items["hub@dev"]
    assert [d["component"] for d in vpc["dependents"]] == ["att", "hub"]
    assert vpc["included_in_dependents"] is False and hub["included_in_dependents"] is True
    # Inside vpc's tree, att is also under its peer hub; inside hub's own tree nothing is marked.
    assert vpc["dependents"][0]["included_in_dependents"] is True
    assert hub["dependents"][0]["included_in_dependents"] is False
    assert items["vpc@prod"]["dependents"] == []
    only = {
        f"{i['component']}@{i['stack']}": i
        for i in describe_affected(head, base, include_dependents=True, dependents_only_in_stack="prod")
    }
    assert only["vpc@dev"]["dependents"] is None and only["vpc@prod"]["dependents"] == []


def test_mark_included_in_dependents_leaves_included_trees_alone() -> None:
    leaf = {"stack_slug": "s-c", "dependents": [], "included_in_dependents": False}
    items: list[dict[str, Any]] = [
        {
            "stack_slug": "s-a",
            "dependents": [{"stack_slug": "s-b", "dependents": [copy.deepcopy(leaf)]}, copy.deepcopy(leaf)],
        },
        {"stack_slug": "s-b", "dependents": [copy.deepcopy(leaf)]},
    ]
    mark_included_in_dependents(items)
    assert [i["included_in_dependents"] for i in items] == [False, True]
    assert [d["included_in_dependents"] for d in items[0]["dependents"]] == [False, True]
    assert (
        "included_in_dependents" in items[1]["dependents"][0]
        and not items[1]["dependents"][0]["included_in_dependents"]
    )


# --- git layer ------------------------------------------------------------------------------------

ATMOS_YAML = """\
base_path: "."
components:
  terraform:
    base_path: components/terraform
stacks:
  base_path: stacks
  included_paths: ["deploy/**/*"]
  name_pattern: "{stage}"
"""

DEV_STACK = """\
vars:
  stage: dev
components:
  terraform:
    vpc:
      vars:
        cidr: 10.0.0.0/16
    app:
      vars:
        size: 1
      settings:
        depends_on:
          1:
            component: vpc
"""


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "stacks/deploy").mkdir(parents=True)
    (root / "components/terraform/vpc").mkdir(parents=True)
    (root / "components/terraform/app").mkdir(parents=True)
    (root / "modules/net").mkdir(parents=True)
    (root / "atmos.yaml").write_text(ATMOS_YAML)
    (root / "stacks/deploy/dev.yaml").write_text(DEV_STACK)
    (root / "components/terraform/vpc/main.tf").write_text('module "net" {\n  source = "../../../modules/net"\n}\n')
    (root / "components/terraform/app/main.tf").write_text("# app\n")
    (root / "modules/net/main.tf").write_text("# net\n")
    (root / ".gitignore").write_text("*.tfstate\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


def test_changed_files_and_export(repo: Path, tmp_path: Path) -> None:
    (repo / "components/terraform/app/main.tf").write_text("# changed\n")
    (repo / "components/terraform/app/new.tf").write_text("# untracked\n")
    (repo / "ignored.tfstate").write_text("{}")
    assert gitrev.changed_files(repo, "HEAD") == ["components/terraform/app/main.tf", "components/terraform/app/new.tf"]
    _git(repo, "mv", "modules/net/main.tf", "modules/net/net.tf")
    _git(repo, "commit", "-q", "-am", "rename")
    assert gitrev.changed_files(repo, "HEAD~1", "HEAD") == [
        "components/terraform/app/main.tf",
        "modules/net/main.tf",
        "modules/net/net.tf",
    ]
    sha = gitrev.export_tree(repo, "HEAD~1", tmp_path / "out")
    assert sha == _git(repo, "rev-parse", "HEAD~1")
    assert (tmp_path / "out/modules/net/main.tf").read_text() == "# net\n"
    assert (tmp_path / "out/components/terraform/app/main.tf").read_text() == "# app\n"
    with gitrev.checkout(repo, "main") as tree:
        assert (tree / "modules/net/net.tf").is_file()
    assert not tree.exists()


def test_unreachable_ref_is_a_clear_error(repo: Path) -> None:
    with pytest.raises(HarnessError, match="git ref 'origin/nope' is not reachable"):
        gitrev.changed_files(repo, "origin/nope")
    with pytest.raises(HarnessError, match="not inside a git repository"):
        gitrev.repo_root(repo.parent)


def _affected(repo: Path, **kwargs: Any) -> dict[str, list[str]]:
    from harness.atmos import load_config
    from harness.atmos.affected import affected

    config = load_config(cwd=repo, env={})
    return reasons(affected(config, **kwargs))


def test_git_affected_component_file_and_manifest(repo: Path) -> None:
    assert _affected(repo, base_ref="HEAD") == {}
    (repo / "components/terraform/app/main.tf").write_text("# changed\n")
    assert _affected(repo, base_ref="HEAD") == {"app@dev": ["component"]}
    (repo / "stacks/deploy/dev.yaml").write_text(DEV_STACK.replace("10.0.0.0/16", "10.1.0.0/16"))
    assert _affected(repo, base_ref="HEAD") == {"app@dev": ["component"], "vpc@dev": ["stack.vars"]}


def test_git_affected_module_and_deleted(repo: Path) -> None:
    (repo / "modules/net/variables.tf").write_text("# new, untracked\n")
    assert _affected(repo, base_ref="HEAD") == {"vpc@dev": ["component.module"]}
    (repo / "stacks/deploy/dev.yaml").write_text(DEV_STACK.split("    app:")[0])
    assert _affected(repo, base_ref="HEAD") == {"vpc@dev": ["component.module"], "app@dev": ["deleted"]}


def test_git_affected_between_two_commits_ignores_working_tree(repo: Path) -> None:
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "stacks/deploy/dev.yaml").write_text(DEV_STACK.replace("size: 1", "size: 2"))
    _git(repo, "commit", "-q", "-am", "bigger app")
    (repo / "components/terraform/vpc/main.tf").write_text("# uncommitted\n")
    assert _affected(repo, base_ref=first, head_ref="HEAD") == {"app@dev": ["stack.vars"]}
    assert _affected(repo, base_ref=first) == {"app@dev": ["stack.vars"], "vpc@dev": ["component"]}
    with pytest.raises(HarnessError, match="not reachable"):
        _affected(repo, base_ref="no-such-branch")


def test_git_affected_include_dependents(repo: Path) -> None:
    from harness.atmos import load_config
    from harness.atmos.affected import affected

    (repo / "components/terraform/vpc/main.tf").write_text("# changed\n")
    [item] = affected(load_config(cwd=repo, env={}), base_ref="HEAD", include_dependents=True)
    assert item["component"] == "vpc"
    assert [(d["component"], d["stack"], d["dependents"]) for d in item["dependents"]] == [("app", "dev", [])]


# --- Atmos oracle: tests/fixtures/scenarios/atmos-describe-affected-with-dependents-and-locked -------


def _cases(fixture: str) -> list[Any]:
    path = ORACLE / fixture / "expected.json"
    if not path.is_file():
        return [pytest.param(None, id=f"{fixture}-missing", marks=pytest.mark.skip(reason=f"no oracle at {path}"))]
    cases = json.loads(path.read_text())["cases"]
    return [pytest.param(c, id=c["id"]) for c in cases if c["command"] == "describe affected"]


def _canonical(items: list[dict[str, Any]]) -> list[str]:
    """Order-free at the top level, type-exact: JSON text keeps 1, 1.0, true and "1" apart."""
    return sorted(json.dumps(i, sort_keys=True) for i in items)


@pytest.mark.parametrize("case", _cases("atmos-describe-affected-with-dependents-and-locked"))
def test_oracle_describe_affected(case: dict[str, Any], tmp_path: Path) -> None:
    from harness.atmos import Resolver, load_config

    case_dir = ORACLE / case["id"].split("/")[0]
    flags = case["flags"]
    base_dir = tmp_path / case_dir.name
    shutil.copytree(case_dir, base_dir)
    shutil.rmtree(base_dir / case["head"])
    shutil.copytree(case_dir / case["base"], base_dir / case["head"])

    head_cfg = load_config(cwd=case_dir, env=case["env"])
    base_cfg = rebase_config(head_cfg, case_dir, base_dir)
    options = {"process_templates": flags["process_templates"], "process_functions": flags["process_functions"]}
    head = Resolver(head_cfg, **options).describe_stacks()
    base = Resolver(base_cfg, **options).describe_stacks()
    got = describe_affected(
        head,
        base,
        changed_files=[],
        config=head_cfg,
        repo_root=case_dir,
        include_settings=flags["include_settings"],
        include_dependents=flags["include_dependents"],
        exclude_locked=flags["exclude_locked"],
        dependents_only_in_stack=flags.get("dependents_only_in_stack"),
    )
    assert _canonical(got) == _canonical(case["expect_items"])
