"""A secret planted three ways leaves no trace in any output or file of pytest, plan, check and report.

The three ways (see ``repo.py``): a ``sensitive = true`` variable, a provider-sensitive attribute
(``aws_db_instance.password`` from a stack literal) and an Atmos mask literal. Every run is a real
subprocess on a copy of the example repository; its stdout, stderr and every file it wrote are scanned.
``--show-sensitive`` is the control: it prints all three, so the scan is known to find them.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.harness.secrets.repo import MANIFEST, RDS_SECRET, SECRETS, STACK, make_repo

PLAN_CACHE = Path(".harness-cache") / "plans"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "ATMOS_"))}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False, env=env)


LITERAL_POLICY_ITEM = "atmos.yaml::policies[plat-ue1-dev/secrets-demo]"


def _pytest(repo: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(repo, "-m", "pytest", "tests", "-v", "-rA", "-p", "no:cacheprovider", "--engine", "static",
                f"--junitxml={out / 'junit.xml'}", f"--harness-report={out / 'report.json'}", *args)


def _harness(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(repo, "-m", "harness", *args)


Snapshot = dict[Path, int]


def snapshot(*roots: Path) -> Snapshot:
    """Every file under ``roots`` with its modification time: what a run found there."""
    return {p: p.stat().st_mtime_ns for root in roots for p in root.rglob("*") if p.is_file()}


def _written(before: Snapshot, roots: tuple[Path, ...]) -> Iterator[Path]:
    """Files a run created or changed (the repository's own sources hold the secrets on purpose)."""
    for path, mtime in sorted(snapshot(*roots).items()):
        if before.get(path) != mtime and not _in_plan_cache(path):
            yield path


def _in_plan_cache(path: Path) -> bool:
    parts = path.parts
    return any(parts[i:i + 2] == PLAN_CACHE.parts for i in range(len(parts) - 1))


def traces(*texts: str) -> list[str]:
    """The planted secrets found in ``texts``."""
    return [secret for secret in SECRETS for text in texts if secret in text]


def assert_no_trace(result: subprocess.CompletedProcess[str], before: Snapshot | None = None,
                    *roots: Path) -> None:
    """Neither the output of ``result`` nor any file it wrote under ``roots`` holds a planted secret."""
    found = traces(result.stdout, result.stderr)
    assert not found, f"output holds {found}:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    written = list(_written(before or {}, roots))
    for path in written:
        found = traces(path.read_text(encoding="utf-8", errors="replace"))
        assert not found, f"{path} holds {found}"


def _plan_cache_is_private(repo: Path) -> None:
    """The plan cache holds sensitive values (tests compare them), like Terraform's plan files: owner-only."""
    for path in (repo / PLAN_CACHE).rglob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository copy with the planted secrets; the original example is left alone."""
    return make_repo(tmp_path_factory.mktemp("planted"), failing=True)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path


def _only_passing(repo: Path, dest: Path) -> Path:
    shutil.copytree(repo, dest, ignore=shutil.ignore_patterns(".harness-cache"))
    make_tests = dest / "tests" / "test_secrets_demo.py"
    text = make_tests.read_text(encoding="utf-8")
    make_tests.write_text(text.split("\n\ndef test_token_differs")[0] + "\n", encoding="utf-8")
    return dest


def test_a_passing_run_compares_secrets_and_leaves_no_trace(repo: Path, tmp_path: Path) -> None:
    passing = _only_passing(repo, tmp_path / "repo")
    before = snapshot(tmp_path)
    # the built-in policy item of the planted instance fails on purpose (secrets.stack-literal): not this run's subject
    result = _pytest(passing, tmp_path, "-p", "no:xdist", f"--deselect={LITERAL_POLICY_ITEM}")
    assert result.returncode == 0, result.stdout[-3000:]
    # == on a sensitive value holds when the value matches
    assert result.stdout.count("PASSED tests/test_secrets_demo.py::test_") == 2, result.stdout[-3000:]
    assert_no_trace(result, before, tmp_path)
    assert {p.name for p in _written(before, (tmp_path,))} >= {"junit.xml", "report.json"}
    _plan_cache_is_private(passing)


@pytest.mark.parametrize("workers", [["-p", "no:xdist"], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_failing_run_fails_correctly_and_leaves_no_trace(repo: Path, out: Path, workers: list[str]) -> None:
    before = snapshot(repo, out)
    result = _pytest(repo, out, *workers)
    assert result.returncode == 1
    # the four failing comparisons, and the planted RDS password literal failing its built-in policy item
    assert re.search(r"\b5 failed, \d+ passed", result.stdout), result.stdout[-2000:]
    assert f"FAILED {LITERAL_POLICY_ITEM}" in result.stdout
    assert "assert (sensitive value) == 'something-else'" in result.stdout  # the comparison, not the value
    assert "<MASKED>" in result.stdout  # the Atmos mask literal, in the assertion's diff
    assert_no_trace(result, before, repo, out)
    junit = (out / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("<failure") == 5 and "(sensitive value)" in junit

    for args in (["markdown", str(out / "report.json")],
                 ["markdown", str(out / "report.json"), "-o", str(out / "report.md")],
                 ["html", str(out / "report.json"), "-o", str(out / "report.html")],
                 ["merge", str(out / "merged.json"), str(out / "report.json")]):
        before = snapshot(out)
        rendered = _harness(repo, "report", *args)
        assert rendered.returncode == 0, rendered.stderr
        assert_no_trace(rendered, before, out)
    assert "(sensitive value)" in (out / "report.html").read_text(encoding="utf-8")
    _plan_cache_is_private(repo)


def test_harness_plan_masks_and_shows_on_purpose(repo: Path) -> None:
    for fmt in ("table", "json"):
        masked = _harness(repo, "plan", "secrets-demo", "-s", STACK, "--engine", "static", "--format", fmt)
        assert masked.returncode == 0, masked.stderr
        assert_no_trace(masked)
    shown = _harness(repo, "plan", "secrets-demo", "-s", STACK, "--engine", "static", "--format", "json",
                     "--show-sensitive")
    assert shown.returncode == 0, shown.stderr
    assert sorted(set(traces(shown.stdout))) == sorted(SECRETS)  # the control: the scan finds what is there


def test_harness_check_names_the_manifest_line_of_the_literal_and_masks_it(repo: Path) -> None:
    line = next(n for n, text in enumerate((repo / MANIFEST).read_text().splitlines(), 1) if RDS_SECRET in text)
    table = _harness(repo, "check", "--stacks", STACK, "--components", "secrets-demo")
    assert table.returncode == 1
    assert (f"high: secrets.stack-literal: {STACK}/secrets-demo: aws_db_instance.db "
            f"(components/terraform/secrets-demo/main.tf:8): vars.db_password is a plain literal at "
            f"{MANIFEST}:{line} (value (sensitive value))") in table.stdout
    assert_no_trace(table)
    as_json = _harness(repo, "check", "--stacks", STACK, "--components", "secrets-demo", "--format", "json")
    assert as_json.returncode == 1 and '"policy": "secrets.stack-literal"' in as_json.stdout
    assert_no_trace(as_json)


def test_harness_describe_stays_what_atmos_describe_gives(repo: Path) -> None:
    described = _harness(repo, "describe", "component", "secrets-demo", "-s", STACK, "--format", "json")
    assert described.returncode == 0, described.stderr
    assert RDS_SECRET in described.stdout  # Atmos's own describe goldens are unmasked


LIVE_TESTS = '''\
import logging
import sys

import pytest

pytestmark = pytest.mark.component("secrets-demo")


def test_prints_and_logs_what_it_holds(plan, instance):
    db = plan.resource("aws_db_instance.db").values
    token = plan.resource("aws_ssm_parameter.token").values["value"]
    print("password:", instance.vars["db_password"], "team:", instance.vars["team_label"])
    print("token, revealed on purpose:", token.reveal() if hasattr(token, "reveal") else token, file=sys.stderr)
    logging.getLogger("demo").warning("db tags %s, password %s", db["tags"], instance.vars["db_password"])
'''


def test_output_pytest_does_not_capture_is_masked_too(repo: Path, tmp_path: Path) -> None:
    """Under ``-s`` a print reaches the terminal directly; live logs and log files bypass the test report."""
    live = tmp_path / "repo"
    shutil.copytree(repo, live, ignore=shutil.ignore_patterns(".harness-cache"))
    for test in (live / "tests").glob("test_*.py"):
        test.unlink()
    (live / "tests" / "test_live.py").write_text(LIVE_TESTS, encoding="utf-8")
    before = snapshot(tmp_path)
    result = _pytest(live, tmp_path, "-p", "no:xdist", "-s", "--log-cli-level=WARNING",
                     f"--log-file={tmp_path / 'run.log'}", "--no-harness-policies",
                     "tests/test_live.py")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "password: (sensitive value) team: <MASKED>" in result.stdout, result.stdout[-3000:]
    assert "token, revealed on purpose: (sensitive value)" in result.stderr, result.stderr[-2000:]
    assert "db tags" in result.stdout and "db tags" in (tmp_path / "run.log").read_text(encoding="utf-8")
    assert_no_trace(result, before, tmp_path)
