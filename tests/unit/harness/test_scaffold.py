"""`harness init` on real repositories in temp dirs: what it writes, what it leaves alone, and that it works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.atmos import load_config
from harness.errors import HarnessError
from harness.scaffold import has_pytest_config, init
from tests.unit.harness.conftest import run_cli

ATMOS_YAML = """\
base_path: "."
components:
  terraform:
    base_path: tf
stacks:
  base_path: deploy/stacks
  included_paths: ["**/*"]
  excluded_paths: ["_catalog/**/*"]
  name_template: "{{ .vars.env }}"
"""

FILES = {
    "infra/atmos.yaml": ATMOS_YAML,
    "infra/deploy/stacks/dev.yaml": """\
vars: {env: dev}
components:
  terraform:
    outputs-only: {vars: {}}
    network/vpc: {vars: {cidr: 10.0.0.0/16}}
    vpc-copy:
      metadata: {component: network/vpc}
      vars: {cidr: 10.1.0.0/16}
    base-abstract:
      metadata: {type: abstract, component: never-deployed}
""",
    "infra/tf/outputs-only/main.tf": 'output "answer" {\n  value = 42\n}\n',
    "infra/tf/network/vpc/main.tf": ('variable "cidr" {\n  type = string\n}\n\n'
                                     'resource "aws_vpc" "this" {\n  cidr_block = var.cidr\n}\n'),
    "infra/tf/never-deployed/main.tf": "",
}


def _repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return root


def test_init_writes_a_setup_per_deployed_component_and_never_twice(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", FILES)
    result = init(load_config(repo / "infra"))
    assert result.root == repo.resolve()
    assert sorted(result.components) == ["infra/tests/unit/test_network_vpc.py",
                                         "infra/tests/unit/test_outputs_only.py"]
    assert {"infra/noxfile.py", "infra/pytest.ini", "infra/harness-settings.yaml", ".pre-commit-config.yaml",
            ".gitignore", ".github/workflows/pr.yml"} <= set(result.written)
    # atmos.yaml in a subfolder: the workflows run there
    assert "working-directory: infra" in (repo / ".github/workflows/main.yml").read_text()
    assert "nox -f infra/noxfile.py" in (repo / ".pre-commit-config.yaml").read_text()
    vpc_test = (repo / "infra/tests/unit/test_network_vpc.py").read_text()
    assert 'pytest.mark.component("network/vpc")' in vpc_test and 'plan.resource("aws_vpc.this")' in vpc_test
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git/" not in p.as_posix()}
    again = init(load_config(repo / "infra"))
    assert again.written == [] and "infra/noxfile.py" in again.skipped
    assert {p: p.read_bytes() for p in before} == before


def test_an_existing_file_is_skipped_and_force_overwrites_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", {**FILES, "infra/noxfile.py": "# mine\n"})
    result = init(load_config(repo / "infra"))
    assert "infra/noxfile.py" in result.skipped and (repo / "infra/noxfile.py").read_text() == "# mine\n"
    forced = init(load_config(repo / "infra"), force=True)
    assert "infra/noxfile.py" in forced.written and "register()" in (repo / "infra/noxfile.py").read_text()


def test_pytest_settings_are_only_written_where_there_are_none(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert not has_pytest_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\ntestpaths = ['checks']\n")
    assert has_pytest_config(tmp_path)
    repo = _repo(tmp_path / "r", {**FILES, "infra/setup.cfg": "[tool:pytest]\naddopts = -q\n"})
    init(load_config(repo / "infra"))
    assert not (repo / "infra/pytest.ini").exists()


def test_the_starter_tests_pass_with_the_builtin_items(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", FILES)
    init(load_config(repo / "infra"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-rA", "tests/unit"], cwd=repo / "infra",
                          capture_output=True, text=True, timeout=300, check=False)
    passed = {line.split()[1] for line in proc.stdout.splitlines() if line.startswith("PASSED ")}
    # one starter test per instance, the 0-resource component and the second Atmos name of a folder included
    assert {"tests/unit/test_outputs_only.py::test_plans_in_every_stack[dev]",
            "tests/unit/test_network_vpc.py::test_plans_in_every_stack[dev:network/vpc]",
            "tests/unit/test_network_vpc.py::test_plans_in_every_stack[dev:vpc-copy]"} <= passed, proc.stdout[-3000:]
    # the built-in policy items run next to them and see the VPC's missing flow logs
    assert "FAILED atmos.yaml::policies[dev/network/vpc]" in proc.stdout and proc.returncode == 1


def test_init_without_atmos_yaml_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"no atmos\.yaml"):
        init(load_config(cwd=tmp_path))
    out = run_cli("init", str(tmp_path), cwd=tmp_path)
    assert out.code == 1 and len(out.err.strip().splitlines()) == 1 and "no atmos.yaml" in out.err


def test_init_cli_lists_what_it_wrote_and_skipped(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", FILES)
    first = run_cli("init", str(repo / "infra/deploy"), cwd=tmp_path)
    assert first.code == 0 and "wrote    infra/noxfile.py" in first.out, first.err
    second = run_cli("init", cwd=repo / "infra")
    assert second.code == 0 and "wrote" not in second.out
    assert "skipped  infra/noxfile.py (exists; --force overwrites)" in second.out
