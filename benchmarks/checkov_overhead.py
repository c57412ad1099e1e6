"""``checkov_overhead``: ``harness check`` with checkov over checkov alone on the same plans (target <= 1.5).

Both sides run as they would in CI, in child processes on the example repository: ``harness check`` plans
every instance with the static engine (an empty plan cache: the cold run CI makes), runs the built-in and
organization policies and checkov over all plans in one checkov process; checkov alone reads the same
plans, already written as Terraform plan JSON, with the arguments the harness gives it. Wall-clock seconds,
best of ``--repeat`` after one warm-up. ``checkov_overhead_warm`` is the same with the plan cache filled.
checkov is ``$HARNESS_CHECKOV`` or ``checkov`` on PATH; without it the benchmark prints why it was skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import REPO, BenchContext, Result, benchmark


def _timed(cmd: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{proc.stdout[-2000:]}"
                           f"{proc.stderr[-2000:]}")
    return seconds


def _write_plans(root: Path, folder: Path) -> int:
    """The plans ``harness check`` gives checkov, written as it writes them."""
    from harness.policy.checkov_plan import plan_json
    from harness.session import HarnessSession, SessionOptions

    session = HarnessSession(SessionOptions(base_path=root, engine="static", cache="off"))
    try:
        plans = [session.plan(inst) for inst in session.selected]
    finally:
        session.close()
    folder.mkdir(parents=True)
    for i, plan in enumerate(plans):
        (folder / f"plan-{i:05d}.json").write_text(json.dumps(plan_json(plan), default=str), encoding="utf-8")
    return len(plans)


@benchmark("checkov_overhead")
def checkov_overhead(ctx: BenchContext) -> Result:
    """``harness check`` (static engine, checkov on) over checkov alone on the same plans, wall clock."""
    from harness.policy.checkov_run import QUIET_ENV, checkov_command

    command = checkov_command()
    if command is None:
        return {"checkov_overhead": "skipped (checkov not found: set HARNESS_CHECKOV or put checkov on PATH)"}
    with tempfile.TemporaryDirectory(prefix="bench-checkov-") as tmp:
        root = Path(tmp) / "example"
        root.mkdir()
        shutil.copy2(REPO / "atmos.yaml", root / "atmos.yaml")
        for folder in ("stacks", "components"):
            shutil.copytree(REPO / folder, root / folder,
                            ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".harness-cache"))
        plans = Path(tmp) / "plans"
        count = _write_plans(root, plans)
        env = {**os.environ, "HARNESS_CHECKOV": " ".join(command)}
        check = [sys.executable, "-m", "harness", "check", "--engine", "static", "--format", "json",
                 "--base-path", str(root)]
        alone = [*command, "-d", str(plans), "--framework", "terraform_plan", "-o", "json", "--quiet", "--compact",
                 "--skip-download", "--skip-results-upload"]
        checkov_env = {**os.environ, **QUIET_ENV}

        def harness_cold() -> float:
            shutil.rmtree(root / ".harness-cache", ignore_errors=True)
            return _timed(check, root, env, (0,))

        def harness_warm() -> float:
            return _timed(check, root, env, (0,))

        def checkov_alone() -> float:
            return _timed(alone, Path(tmp), checkov_env, (0, 1))

        harness_cold(), checkov_alone()  # warm-up: bytecode, page cache
        cold, warm, bare = float("inf"), float("inf"), float("inf")
        for _ in range(ctx.repeat):
            cold = min(cold, harness_cold())
            warm = min(warm, harness_warm())
            bare = min(bare, checkov_alone())
    return {
        "checkov_plans": count,
        "checkov_harness_seconds": f"{cold:.2f}",
        "checkov_alone_seconds": f"{bare:.2f}",
        "checkov_overhead": f"{cold / bare:.3f}",
        "checkov_overhead_warm": f"{warm / bare:.3f}",
    }
