"""The checkov process started ahead of the planning: which commands it preloads, and that a run gives the same
answer whether the interpreter was preloaded or not (real scripts, real interpreters, real checkov when present)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from harness.policy.checkov_process import CheckovProcess, interpreter_of
from harness.policy.checkov_run import QUIET_ENV, start_checkov
from tests.unit.harness.policy.checkov_bin import checkov_or_skip


def _script(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


def test_a_python_console_script_is_preloaded_and_anything_else_is_not(tmp_path: Path) -> None:
    py = _script(tmp_path / "py-tool", f"#!{sys.executable}\nprint('hi')\n")
    env = _script(tmp_path / "env-tool", "#!/usr/bin/env python3\nprint('hi')\n")
    sh = _script(tmp_path / "sh-tool", "#!/bin/sh\necho hi\n")
    assert interpreter_of([str(py)]) == [sys.executable]
    assert interpreter_of([str(env)]) == ["/usr/bin/env", "python3"]
    assert interpreter_of([str(sh)]) is None
    assert interpreter_of([str(py), "--flag"]) is None  # a command line with arguments runs as given
    assert interpreter_of([str(tmp_path / "missing")]) is None


def test_an_interpreter_without_checkov_falls_back_to_running_the_command(tmp_path: Path) -> None:
    # A checkov that cannot be imported (installed with the extra or not, this one comes first on the path):
    # the preload fails and the script itself runs.
    blocker = tmp_path / "blocker" / "checkov"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not importable here')\n", encoding="utf-8")
    tool = _script(tmp_path / "tool", f"#!{sys.executable}\nimport os, sys\nprint('ran', sys.argv[1:], os.getcwd())\n"
                   "sys.exit(1)\n")
    work = tmp_path / "work"
    work.mkdir()
    with CheckovProcess([str(tool)], {**os.environ, "PYTHONPATH": str(blocker.parent)}) as process:
        assert process.preloaded
        done = process.run(["-d", "x"], cwd=str(work), timeout=60)
    assert done.returncode == 1
    assert done.stdout.strip() == f"ran ['-d', 'x'] {work}"


def test_a_shell_command_runs_as_given(tmp_path: Path) -> None:
    tool = _script(tmp_path / "tool", "#!/bin/sh\necho \"args $*\"\n")
    process = CheckovProcess([str(tool)], dict(os.environ))
    assert not process.preloaded
    assert process.run(["a", "b"], cwd=str(tmp_path), timeout=60).stdout == "args a b\n"


def test_real_checkov_preloaded_answers_like_checkov_run_directly(tmp_path: Path) -> None:
    command = checkov_or_skip().split()
    if interpreter_of(command) is None:
        pytest.skip(f"{command} is not a Python console script: it is never preloaded")
    tf = tmp_path / "main.tf"
    tf.write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n', encoding="utf-8")
    args = ["-f", str(tf), "--framework", "terraform", "-o", "json", "--quiet", "--compact", "--skip-download"]
    env = {**os.environ, **QUIET_ENV}
    process = start_checkov(command)
    assert process is not None and process.preloaded
    preloaded = process.run(args, cwd=str(tmp_path), timeout=600)
    direct = CheckovProcess(["/bin/sh", "-c", 'exec "$0" "$@"', command[0]], env).run(args, cwd=str(tmp_path),
                                                                                     timeout=600)
    assert preloaded.returncode == direct.returncode == 1  # the bucket fails checks
    assert ("CKV_AWS_18", False) in _checks(preloaded.stdout)  # no access logging
    assert _checks(preloaded.stdout) == _checks(direct.stdout)


def _checks(report: str) -> set[tuple[str, bool]]:
    results = json.loads(report)["results"]
    return {(item["check_id"], key == "passed_checks") for key in ("passed_checks", "failed_checks")
            for item in results.get(key, [])}
