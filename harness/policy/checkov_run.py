"""checkov as a second policy engine: every instance's plan in one checkov process, results as harness findings.

checkov runs in its own process: from the harness's own environment when installed with the
``checkov`` extra (``pip install 'atmos-harness[checkov]'``), or from any other. The command is
``$HARNESS_CHECKOV`` (a path or a command line; ``off`` switches checkov off), else the
``checkov`` beside the running interpreter, else ``checkov`` on PATH.

Each instance's plan is written as Terraform plan JSON (``checkov_plan.plan_json``) into
one folder and checkov's ``terraform_plan`` framework reads them all at once. A failed
check becomes a finding on that instance, at the resource's ``.tf`` file:line from the
harness plan; a failure that rests on a value the plan calls unknown is undetermined.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.plan import Plan, Resource, Unknown
from harness.policy.checkov_catalog import POLICY_INDEX, controls_of, policy_id, severity_of
from harness.policy.checkov_plan import plan_json
from harness.policy.checkov_process import CheckovProcess, checkov_env
from harness.policy.helpers import computed_unset
from harness.policy.model import Finding, Outcome

ENV = "HARNESS_CHECKOV"
OFF = ("0", "off", "false", "no", "none")
PINNED = "3.3."
#: checkov's own environment switches: no platform download, no update check, no telemetry.
QUIET_ENV = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_SKIP_DOWNLOAD": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
             "ANSI_COLORS_DISABLED": "TRUE", "LOG_LEVEL": "WARNING"}


class CheckovError(HarnessError):
    """checkov could not be run or gave output the harness cannot read."""


def checkov_command(environ: Mapping[str, str] | None = None) -> list[str] | None:
    """The checkov command line, or None when it is switched off or not installed."""
    env = os.environ if environ is None else environ
    value = env.get(ENV)
    if value is not None:
        if value.strip().lower() in OFF:
            return None
        return shlex.split(value)
    beside = Path(sys.executable).parent / "checkov"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("checkov")
    return [found] if found else None


def checkov_absent(environ: Mapping[str, str] | None = None) -> str:
    """Why :func:`checkov_command` found no checkov, for the line that says its checks did not run."""
    env = os.environ if environ is None else environ
    value = env.get(ENV, "").strip()
    if value.lower() in OFF and value:
        return f"checkov is switched off (${ENV}={value})"
    return (f"checkov is not installed (pip install 'atmos-harness[checkov]', set ${ENV}, or put checkov on "
            "PATH)")


@dataclass(frozen=True)
class CheckovCheck:
    """One check result of checkov on one resource of one instance."""

    check_id: str
    title: str
    address: str
    passed: bool
    evaluated_keys: tuple[str, ...] = ()
    guideline: str | None = None


@dataclass
class CheckovRun:
    """What one checkov process said, per instance index (the order of the plans given)."""

    version: str = ""
    checks: dict[int, list[CheckovCheck]] = field(default_factory=dict)
    note: str = ""


def _results(data: Any) -> list[Mapping[str, Any]]:
    reports = data if isinstance(data, list) else [data]
    return [r for r in reports if isinstance(r, Mapping)]


def parse_output(text: str, files: Mapping[str, int]) -> CheckovRun:
    """checkov's ``-o json`` output -> checks per instance index (``files`` maps file names to indices)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckovError(f"checkov printed no JSON report ({exc.msg}): {text.strip()[:200]}") from None
    run = CheckovRun()
    for report in _results(data):
        summary = report.get("summary") or {}
        run.version = str(summary.get("checkov_version") or run.version)
        results = report.get("results") or {}
        for key, passed in (("failed_checks", False), ("passed_checks", True)):
            for item in results.get(key) or []:
                index = files.get(Path(str(item.get("file_path", ""))).name)
                if index is None:
                    continue
                check = item.get("check_result") or {}
                run.checks.setdefault(index, []).append(CheckovCheck(
                    check_id=str(item.get("check_id")), title=str(item.get("check_name") or ""),
                    address=str(item.get("resource_address") or item.get("resource") or ""), passed=passed,
                    evaluated_keys=tuple(str(k) for k in check.get("evaluated_keys") or ()),
                    guideline=item.get("guideline")))
    if run.version and not run.version.startswith(PINNED):
        run.note = f"checkov {run.version} is not the tested {PINNED}x; results may differ"
    return run


def run_checkov(plans: Sequence[Plan], *, command: Sequence[str], timeout: float = 1800,
                process: CheckovProcess | None = None) -> CheckovRun:
    """Write every plan as plan JSON and run checkov's plan checks over all of them in one process.

    ``process``: one started ahead (``start_checkov``) so checkov's import overlapped the planning."""
    if not plans:
        return CheckovRun()
    runner = process if process is not None else CheckovProcess(command, checkov_env(QUIET_ENV))
    with tempfile.TemporaryDirectory(prefix="harness-checkov-") as tmp, runner:
        folder = Path(tmp) / "plans"
        folder.mkdir()
        files: dict[str, int] = {}
        for i, the_plan in enumerate(plans):
            name = f"plan-{i:05d}.json"
            (folder / name).write_text(json.dumps(plan_json(the_plan), default=str), encoding="utf-8")
            files[name] = i
        args = ["-d", str(folder), "--framework", "terraform_plan", "-o", "json", "--quiet",
                "--compact", "--skip-download", "--skip-results-upload"]
        try:
            proc = runner.run(args, cwd=tmp, timeout=timeout)
        except FileNotFoundError:
            raise CheckovError(f"checkov not found: {command[0]} (set {ENV} to its path, or {ENV}=off)") from None
        except subprocess.TimeoutExpired:
            raise CheckovError(f"checkov did not finish within {timeout:.0f} s") from None
    if proc.returncode not in (0, 1):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
        raise CheckovError(f"checkov exited with {proc.returncode}: {tail[0][:300]}")
    return parse_output(proc.stdout, files)


def start_checkov(command: Sequence[str] | None = None) -> CheckovProcess | None:
    """A checkov process started now for a ``run_checkov`` later (None when checkov is off or not installed)."""
    found = checkov_command() if command is None else list(command)
    return None if found is None else CheckovProcess(found, checkov_env(QUIET_ENV))


def key_path(key: str) -> str:
    """checkov's evaluated key ``rule/[0]/status`` -> the harness path ``rule.0.status`` (cut at a wildcard)."""
    parts: list[str] = []
    for part in key.split("/"):
        if part in ("*", "[*]") or "*" in part:
            break
        parts.append(part[1:-1] if part.startswith("[") and part.endswith("]") else part)
    return ".".join(parts)


def unknown_reason(resource: Resource, keys: Iterable[str]) -> str | None:
    """Why a check on ``resource`` rests on an unknown value (one it evaluated), or None."""
    for key in keys:
        path = key_path(key)
        if not path:
            continue
        value = resource.get(path, None)
        if isinstance(value, Unknown) and not computed_unset(resource, path):
            return f"{path} is known only after apply ({value.reason})"
        inner = [u for u in resource.unknown if u.startswith(path + ".")]
        for sub in inner:
            if not computed_unset(resource, sub):
                return f"{sub} is known only after apply"
    return None


def _resource(plan: Plan, address: str) -> Resource | None:
    found = [r for r in plan.resources() if r.address == address]
    return found[0] if found else None


def findings_for(plan: Plan, checks: Iterable[CheckovCheck]) -> tuple[list[Finding], list[str]]:
    """checkov's results on one instance: (findings for the failed checks, ids of the checks that passed)."""
    out: list[Finding] = []
    passed: set[str] = set()
    failed: set[str] = set()
    for check in checks:
        pid = policy_id(check.check_id)
        if check.passed:
            passed.add(pid)
            continue
        failed.add(pid)
        resource = _resource(plan, check.address)
        reason = None if resource is None else unknown_reason(resource, check.evaluated_keys)
        if reason is None and check.check_id.startswith("CKV2_") and (plan.unexpanded or plan.conditional):
            reason = "a connected resource may be in a block the engine could not expand"
        guideline = check.guideline or POLICY_INDEX
        out.append(Finding(
            policy=pid, severity=severity_of(check.check_id),
            outcome=Outcome.UNDETERMINED if reason else Outcome.FAIL, stack=plan.stack, component=plan.component,
            address=check.address or None,
            message=f"{check.title}" + (f" (undetermined: {reason})" if reason else "") + f" [{guideline}]",
            source=None if resource is None else resource.source,
            path=",".join(check.evaluated_keys) or None, controls=controls_of(check.check_id)))
    return out, sorted(passed - failed)
