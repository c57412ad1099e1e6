"""The plugin's built-in validator items: a plain ``pytest --harness-validate --emulator URL`` in a repository
with no test file of its own validates what is deployed, reports drift as a failure, and the gate sees it.

Each run is a real pytest subprocess on a copy of the example, reading the embedded moto server that the
compliant world was seeded into.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Worlds
from tests.e2e.drifts import vpc_untag
from tests.example import copy_example

STACK = "plat-ue1-dev"
VPC_ITEM = f"atmos.yaml::validators[{STACK}/vpc]"


@pytest.fixture(scope="module")
def bare_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's configuration with an empty tests folder: only the built-in items run."""
    dest = copy_example(tmp_path_factory.mktemp("builtin-validators"))
    (dest / "tests").mkdir()
    return dest


def _validate(repo: Path, worlds: Worlds, report: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", "-p", "no:xdist", "-rA",
         "--harness-builtins=validators", "--harness-validate", "--emulator", worlds.emulator.endpoint,
         "--stacks", STACK, "--components", "vpc,security-group", f"--harness-report={report}"],
        cwd=repo, capture_output=True, text=True, timeout=600, check=False, env=env)


def test_a_compliant_deploy_passes_its_validator_items(bare_repo: Path, worlds: Worlds, tmp_path: Path) -> None:
    if worlds.emulator.kind != "moto":
        pytest.skip("the seeded world is asserted on the embedded moto only")
    worlds.compliant_world()
    result = _validate(bare_repo, worlds, tmp_path / "report.json")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    passed = sorted(line.split()[1] for line in result.stdout.splitlines() if line.startswith("PASSED "))
    assert passed == [f"atmos.yaml::validators[{STACK}/security-group/bastion]",
                      f"atmos.yaml::validators[{STACK}/security-group/web]", VPC_ITEM], result.stdout[-3000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert "validators" in json.dumps(report)


def test_drift_fails_the_validator_item_and_names_the_check(bare_repo: Path, worlds: Worlds, tmp_path: Path) -> None:
    if worlds.emulator.kind != "moto":
        pytest.skip("the seeded world is asserted on the embedded moto only")
    seeder = worlds.compliant_world()
    resolver = worlds.resolver
    vpc = resolver.instance("vpc", STACK)
    try:
        vpc_untag(seeder, vpc, seeder.inputs(vpc), seeder.outputs[vpc.id])
        result = _validate(bare_repo, worlds, tmp_path / "report.json")
    finally:
        worlds.current = None  # the world changed: the next test that wants it rebuilds it
    assert result.returncode == 1, result.stdout[-3000:]
    assert f"FAILED {VPC_ITEM}" in result.stdout, result.stdout[-3000:]
    assert "found drift" in result.stdout and "vpc.tags: expected" in result.stdout, result.stdout[-3000:]
    gate = subprocess.run([sys.executable, "-m", "harness", "gate", "--report", str(tmp_path / "report.json"),
                           "--allow-commit-mismatch", "--allow-no-policies"],
                          cwd=bare_repo, capture_output=True, text=True, timeout=300, check=False)
    assert gate.returncode != 0, gate.stdout + gate.stderr
