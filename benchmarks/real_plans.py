"""Real plans of the example with terraform and the hashicorp/aws provider, against the embedded emulator.

- ``real_plan_ratio`` (<= 0.35): every deployable instance through the terraform engine (one init per
  component folder, instances of a folder in one plan, folders in parallel) against a naive loop that, per
  instance, copies the component, inits, plans and shows, as ``atmos terraform plan`` does. The naive loop
  costs about ten seconds an instance, so it runs on ``NAIVE_SAMPLE`` instances (one of each component
  folder first) and is scaled to all of them; the result says so.
- ``real_xdist_speedup`` (>= 1.6): the real-plan suite (``tests/integration/test_fidelity.py``) at ``-n 2``
  against ``-n 0``, each from an empty plan cache.

Wall clock (the work is in terraform and provider processes), one run of each side: a run takes minutes.
Without a terraform binary or the provider the benchmarks print why and are skipped.
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
from typing import Any

from benchmarks.run import REPO, BenchContext, Result, _suite_run, benchmark

NAIVE_SAMPLE = 6
_SKIPPED: dict[str, str] = {}


def _why_not() -> str | None:
    """None when terraform can plan every component of the example offline, else the reason."""
    if "reason" not in _SKIPPED:
        from harness.engines import choose_engine
        from harness.session import HarnessSession, SessionOptions

        session = HarnessSession(SessionOptions(base_path=REPO, engine="static", cache="off"))
        chosen, reason = choose_engine(sorted({i.component_path for i in session.selected}))
        _SKIPPED["reason"] = "" if chosen == "terraform" else reason
    return _SKIPPED["reason"] or None


def _engine_seconds() -> tuple[float, int]:
    """Every deployable instance through a terraform session (producers first), no plan cache."""
    from harness.session import HarnessSession, SessionOptions

    session = HarnessSession(SessionOptions(base_path=REPO, engine="terraform", cache="off"))
    try:
        instances = session.selected
        session.engine[0].emulator()  # type: ignore[attr-defined]  # started before timing, as in the naive loop
        start = time.perf_counter()
        failures = []
        for instance in instances:
            try:
                session.plan(instance)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                failures.append(f"{instance.id}: {exc}")
        elapsed = time.perf_counter() - start
    finally:
        session.close()
    if failures:
        raise RuntimeError(f"{len(failures)} instances failed to plan: {failures[0]}")
    return elapsed, len(instances)


def _sample(session: Any) -> list[Any]:
    """One instance of each component folder first, then the rest, ``NAIVE_SAMPLE`` in all."""
    seen: set[str] = set()
    first, rest = [], []
    for instance in session.selected:
        (rest if instance.folder in seen else first).append(instance)
        seen.add(instance.folder)
    return (first + rest)[:NAIVE_SAMPLE]


def _naive_seconds() -> tuple[float, int, int]:
    """(seconds for the sample, sample size, all instances): copy, init, plan -out, show -json per instance."""
    from harness.aws.emulator import Emulator
    from harness.deploy.providers import provider_override, provider_use, render
    from harness.engines._tf_workdir import BACKEND_FILE, BACKEND_OVERRIDE
    from harness.session import HarnessSession, SessionOptions
    from harness.tools.providers import provider_env
    from harness.tools.terraform import find_terraform

    session = HarnessSession(SessionOptions(base_path=REPO, engine="static", cache="off"))
    sample = _sample(session)
    binary = find_terraform()
    emulator = Emulator("moto").start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-naive-") as tmp:
            env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0",
                   **provider_env(Path(tmp))}
            env.update({k: v for k, v in emulator.terraform_env().items() if v is not None})
            start = time.perf_counter()
            for n, instance in enumerate(sample):
                request = session.request(instance)
                work = Path(tmp) / f"i{n}"
                shutil.copytree(instance.component_path, work,
                                ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
                (work / BACKEND_FILE).write_text(BACKEND_OVERRIDE, encoding="utf-8")
                if provider_use(instance.component_path).uses_aws:
                    override = provider_override(instance.component_path, emulator)
                    if override is not None:
                        (work / override[0]).write_text(render(override[1]), encoding="utf-8")
                variables = dict(request.variables)
                for name in request.unknown_inputs:  # atmos would read these from the producer's state
                    variables[name] = _placeholder(name)
                (work / "terraform.tfvars.json").write_text(json.dumps(variables, default=str), encoding="utf-8")
                for args in (["init", "-input=false", "-no-color"],
                             ["plan", "-input=false", "-no-color", "-lock=false", "-out=plan.tfplan"],
                             ["show", "-no-color", "-json", "plan.tfplan"]):
                    proc = subprocess.run([binary, *args], cwd=work, env=env, capture_output=True, text=True,
                                          check=False, stdin=subprocess.DEVNULL)
                    if proc.returncode != 0:
                        raise RuntimeError(f"naive {instance.id}: terraform {args[0]} failed: {proc.stderr[-800:]}")
                shutil.rmtree(work, ignore_errors=True)  # the provider copy is large
            elapsed = time.perf_counter() - start
    finally:
        emulator.stop()
    return elapsed, len(sample), len(session.selected)


def _placeholder(name: str) -> str:
    """A value shaped like an AWS id for an input known only after apply (``vpc_id`` -> ``vpc-0123...``)."""
    if name.endswith("_id"):
        return f"{name[:-3].rsplit('_', 1)[-1]}-0123456789abcdef0"
    return "placeholder"


@benchmark("real_plan_ratio")
def real_plan_ratio(ctx: BenchContext) -> Result:
    """All instances through the terraform engine over the naive per-instance loop (target <= 0.35)."""
    reason = _why_not()
    if reason:
        print(f"real_plan_ratio skipped: {reason}", file=sys.stderr)
        return {"real_plan_ratio": "skipped", "real_plan_skip_reason": reason}
    engine_seconds, instances = _engine_seconds()
    print(f"real_plan_engine_seconds={engine_seconds:.1f} ({instances} instances)", file=sys.stderr)
    naive_sample_seconds, sample, total = _naive_seconds()
    naive_seconds = naive_sample_seconds * total / sample
    return {
        "real_plan_instances": instances,
        "real_plan_engine_seconds": f"{engine_seconds:.1f}",
        "real_plan_naive_sample": f"{sample} of {total} instances ({naive_sample_seconds:.1f}s), scaled to {total}",
        "real_plan_naive_seconds": f"{naive_seconds:.1f}",
        "real_plan_ratio": f"{engine_seconds / naive_seconds:.3f}",
    }


@benchmark("real_xdist_speedup")
def real_xdist_speedup(ctx: BenchContext) -> Result:
    """The real-plan suite at ``-n 2`` against ``-n 0``, each from an empty plan cache (target >= 1.6)."""
    reason = _why_not()
    if reason:
        print(f"real_xdist_speedup skipped: {reason}", file=sys.stderr)
        return {"real_xdist_speedup": "skipped", "real_xdist_skip_reason": reason}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    suite = [sys.executable, "-m", "pytest", "tests/integration/test_fidelity.py", "-q", "-p", "no:cacheprovider"]
    with tempfile.TemporaryDirectory(prefix="bench-real-xdist-") as tmp:

        def run(workers: str, n: int) -> tuple[float, float]:
            cache = Path(tmp) / f"plans-{workers}-{n}"
            extra = ["-n", workers, "--dist", "worksteal"] if workers != "0" else ["-n", "0"]
            return _suite_run([*suite, *extra], REPO, {**env, "HARNESS_FIDELITY_CACHE": str(cache)})

        serial, serial_cpu = run("0", 0)
        parallel, parallel_cpu = run("2", 0)
    return {
        "real_suite_serial_seconds": f"{serial:.1f}",
        "real_suite_parallel_seconds": f"{parallel:.1f}",
        "real_xdist_speedup": f"{serial / parallel:.2f}",
        "real_xdist_cpu_ratio": f"{parallel_cpu / serial_cpu:.2f}",
    }
