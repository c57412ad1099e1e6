"""Benchmark runner: generates a synthetic organization and prints ``key=value`` results, one per line.

Benchmarks register themselves with :func:`benchmark` (a function here, or in a module imported here, taking a
:class:`BenchContext` with the generated organization and the timing settings, and returning its results in
print order); ``--only NAME`` runs a subset.
Timings are the best of ``--repeat`` runs after one warm-up, all in this process, so ratios compare like
with like on the same machine. The default clock is the process's CPU time: the workloads are single-threaded
and CPU-bound, and unlike wall time it is not inflated by whatever else runs on a shared CI machine
(``--clock wall`` measures wall time instead).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks.synthetic import GeneratedOrg, generate

Result = dict[str, Any]
BenchmarkFn = Callable[["BenchContext"], Result]


CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


@dataclass(frozen=True)
class BenchContext:
    """What every benchmark gets: the generated organization and how to time things."""

    org: GeneratedOrg
    repeat: int
    warmup: int
    clock: Callable[[], float] = time.process_time
    #: Stacks of the organization the xdist benchmark runs the unit suite on (4 tests per instance).
    xdist_stacks: int = 50

    def best_of(self, *fns: Callable[[], object]) -> list[float]:
        """Best time of each function over ``repeat`` rounds, after ``warmup`` untimed rounds.

        Rounds interleave the functions so that a ratio compares runs made under the same machine load;
        the minimum is kept because noise only ever adds time.
        """
        for _ in range(self.warmup):
            for fn in fns:
                fn()
        best = [float("inf")] * len(fns)
        for _ in range(self.repeat):
            for i, fn in enumerate(fns):
                gc.collect()
                start = self.clock()
                fn()
                best[i] = min(best[i], self.clock() - start)
        return best


BENCHMARKS: dict[str, BenchmarkFn] = {}


def benchmark(name: str) -> Callable[[BenchmarkFn], BenchmarkFn]:
    """Register a benchmark under ``name`` (the value ``--only`` selects); registration order is run order."""

    def register(fn: BenchmarkFn) -> BenchmarkFn:
        if name in BENCHMARKS:
            raise ValueError(f"benchmark '{name}' is already registered")
        BENCHMARKS[name] = fn
        return fn

    return register


# -- the baseline: every manifest parsed once with the C loader ---------------------------------------------
def load_all_manifests(files: Sequence[Path]) -> int:
    """Read and parse every manifest once with ``yaml.CSafeLoader``: the floor any resolver must pay.

    The org's function tags (``!terraform.output``) are accepted as plain scalars so the C loader can read
    every file; that costs the same as constructing any other scalar.
    """
    count = 0
    for path in files:
        if yaml.load(path.read_text(encoding="utf-8"), Loader=_BaselineLoader) is not None:
            count += 1
    return count


class _BaselineLoader(yaml.CSafeLoader):
    """``yaml.CSafeLoader`` plus a pass-through for Atmos function tags."""


_BaselineLoader.add_multi_constructor("!", lambda loader, _suffix, node: loader.construct_scalar(node))


def describe_all(root: Path) -> int:
    """A fresh resolver on a cold YAML cache describing every stack; returns the number of sections."""
    from harness.atmos import Resolver, load_config
    from harness.atmos.yamlio import clear_cache

    clear_cache()
    resolver = Resolver(load_config(root), process_templates=True, process_functions=True)
    described = resolver.describe_stacks()
    return sum(len(stack["components"]["terraform"]) for stack in described.values())


@benchmark("resolve_ratio")
def resolve_ratio(ctx: BenchContext) -> Result:
    """``describe stacks`` of the whole org over the time to just parse its manifests (target <= 2.0).

    ``instances`` counts the (stack, component) sections described, abstract bases included.
    """
    root = ctx.org.root
    files = sorted((root / "stacks").rglob("*.yaml"))
    instances = describe_all(root)
    if instances != ctx.org.instances:
        raise RuntimeError(f"described {instances} instances, generated {ctx.org.instances}")
    describe_seconds, load_seconds = ctx.best_of(lambda: describe_all(root), lambda: load_all_manifests(files))
    return {
        "stacks": len(ctx.org.stacks),
        "instances": instances,
        "manifests": len(files),
        "describe_seconds": f"{describe_seconds:.4f}",
        "load_seconds": f"{load_seconds:.4f}",
        "resolve_ratio": f"{describe_seconds / load_seconds:.3f}",
        "instances_per_second": f"{instances / describe_seconds:.0f}",
    }


# -- plans: the static engine against bare tfparse, and the plan cache -----------------------------------------
REPO = Path(__file__).resolve().parents[1]


def _example_requests() -> list[Any]:
    from harness.session import HarnessSession, SessionOptions

    session = HarnessSession(SessionOptions(base_path=REPO, engine="static", cache="off"))
    return [session.request(i) for i in session.selected]


def _bare_tfparse(jobs: list[tuple[Path, Path]]) -> None:
    import tfparse

    for component_dir, var_file in jobs:
        tfparse.load_from_path(str(component_dir), vars_paths=[var_file.name])


@benchmark("static_overhead")
def static_overhead(ctx: BenchContext) -> Result:
    """Harness static plans of every example instance over bare in-process tfparse on the same inputs (<= 1.3).

    Wall clock: the harness runs tfparse in a child process, whose CPU time the parent's clock would miss.
    Both sides evaluate copies of the components (tfparse writes into the folder it loads), and both start
    with tfparse loaded (a session starts its tfparse child once, while pytest collects).
    """
    import json
    import shutil

    from harness.engines import StaticEngine

    requests = _example_requests()
    with tempfile.TemporaryDirectory(prefix="bench-tfparse-") as tmp:
        jobs: list[tuple[Path, Path]] = []
        for i, req in enumerate(requests):
            copy = Path(tmp) / f"{i}"
            shutil.copytree(req.component_dir, copy)
            var_file = copy / "harness.auto.tfvars.json"
            var_file.write_text(json.dumps(dict(req.variables)))
            jobs.append((copy, var_file))

        # Both sides start with tfparse loaded: bare tfparse is imported in this process before timing, and
        # the harness's tfparse child is started (by planning an unrelated one-variable module) likewise.
        probe_dir = Path(tmp) / "probe"
        probe_dir.mkdir()
        (probe_dir / "main.tf").write_text('variable "x" {\n  default = 1\n}\n')
        probe = dataclasses.replace(requests[0], stack="probe", component="probe", component_dir=probe_dir,
                                    variables={})

        def harness_seconds_once() -> float:
            engine = StaticEngine()
            try:
                engine.plan_many([probe])
                start = time.perf_counter()
                results = engine.plan_many(requests)
                elapsed = time.perf_counter() - start
            finally:
                engine.close()
            errors = [r for r in results if isinstance(r, Exception)]
            if errors:
                raise RuntimeError(f"static engine failed: {errors[0]}")
            return elapsed

        def bare_seconds_once() -> float:
            start = time.perf_counter()
            _bare_tfparse(jobs)
            return time.perf_counter() - start

        bare_seconds_once()
        harness_seconds_once()
        harness_seconds = min(harness_seconds_once() for _ in range(ctx.repeat))
        bare_seconds = min(bare_seconds_once() for _ in range(ctx.repeat))
    return {
        "static_instances": len(requests),
        "static_harness_seconds": f"{harness_seconds:.4f}",
        "static_tfparse_seconds": f"{bare_seconds:.4f}",
        "static_overhead": f"{harness_seconds / bare_seconds:.3f}",
    }


@benchmark("cache_speedup")
def cache_speedup(ctx: BenchContext) -> Result:
    """Getting every plan the unit suite uses, cold cache over warm cache (>= 20).

    A fresh session each time (resolution included), so warm measures what a second run really pays.
    The whole pytest run is timed too, for context: interpreter and pytest start-up dominate it.
    """
    import subprocess

    from harness.session import HarnessSession, SessionOptions

    def all_plans(cache_dir: Path) -> None:
        session = HarnessSession(SessionOptions(base_path=REPO, engine="static", cache=str(cache_dir)))
        try:
            for inst in session.selected:
                session.plan(inst)
        finally:
            session.close()

    wall = BenchContext(org=ctx.org, repeat=ctx.repeat, warmup=0, clock=time.perf_counter)
    cold_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        for i in range(ctx.repeat):  # each cold run gets an empty cache of its own
            start = time.perf_counter()
            all_plans(Path(tmp) / f"cold-{i}")
            cold_times.append(time.perf_counter() - start)
        warm_dir = Path(tmp) / "warm"
        all_plans(warm_dir)
        (warm_seconds,) = wall.best_of(lambda: all_plans(warm_dir))
        suite = ["-m", "pytest", "tests/unit/components", "tests/unit/stacks", "-q",  # + the built-in policy items
                 "-p", "no:cacheprovider", "--engine", "static"]
        suite_dir = Path(tmp) / "suite"

        def run_suite() -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, *suite, "--harness-cache", str(suite_dir)], cwd=REPO,
                           capture_output=True, check=True)
            return time.perf_counter() - start

        suite_cold = run_suite()
        suite_warm = run_suite()
    cold_seconds = min(cold_times)
    return {
        "cache_cold_seconds": f"{cold_seconds:.4f}",
        "cache_warm_seconds": f"{warm_seconds:.4f}",
        "cache_speedup": f"{cold_seconds / warm_seconds:.1f}",
        "unit_suite_cold_seconds": f"{suite_cold:.2f}",
        "unit_suite_warm_seconds": f"{suite_warm:.2f}",
    }


@benchmark("affected_ratio")
def affected_ratio(ctx: BenchContext) -> Result:
    """Affected instances for a one-file change (one stack manifest) over describing every stack (<= 0.25).

    Wall clock on both sides (affected runs git). The stack index is the one an earlier run left (built
    before the change, as a CI cache or a contributor's previous run leaves it); each run starts with a cold
    YAML cache. For context: the same answer with the index off (both revisions resolved in full), and with
    no index yet (the first run builds it).
    """
    import shutil
    import subprocess

    from harness.atmos import load_config
    from harness.atmos.yamlio import clear_cache
    from harness.select import affected_instances

    with tempfile.TemporaryDirectory(prefix="bench-affected-") as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(ctx.org.root, repo)

        def git(*args: str) -> None:
            subprocess.run(["git", "-C", str(repo), "-c", "user.email=b@example.com", "-c", "user.name=b", *args],
                           check=True, capture_output=True)

        git("init", "-q", "-b", "main")
        git("add", "-A")
        git("commit", "-qm", "base")
        config = load_config(repo)
        index = Path(tmp) / "stack-index.sqlite"
        affected_instances(config, "main", index=index)  # an earlier run, before the change
        target = repo / "stacks" / f"{ctx.org.stacks[len(ctx.org.stacks) // 2].key}.yaml"
        target.write_text(target.read_text() + "\nvars:\n  bench_change: true\n")
        expected = len(ctx.org.components)

        def affected(where: Path | str) -> Callable[[], None]:
            def run() -> None:
                clear_cache()
                result = affected_instances(config, "main", index=where)
                if not result.decided or len(result.instances) != expected:
                    raise RuntimeError(f"affected found {len(result.instances)} instances, not {expected}: "
                                       f"{result.note}")
            return run

        wall = dataclasses.replace(ctx, clock=time.perf_counter)
        affected_seconds, describe_seconds = wall.best_of(affected(index), lambda: describe_all(repo))
        full_seconds, = dataclasses.replace(wall, warmup=0, repeat=1).best_of(affected("off"))
        cold_index = Path(tmp) / "cold-index.sqlite"
        start = time.perf_counter()
        affected(cold_index)()
        cold_seconds = time.perf_counter() - start
    return {
        "affected_seconds": f"{affected_seconds:.4f}",
        "affected_describe_seconds": f"{describe_seconds:.4f}",
        "affected_ratio": f"{affected_seconds / describe_seconds:.3f}",
        "affected_full_ratio": f"{full_seconds / describe_seconds:.3f}",
        "affected_first_run_ratio": f"{cold_seconds / describe_seconds:.3f}",
    }


def _suite_run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (the run and every process it waited for: workers, tfparse children)."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


@benchmark("xdist_speedup")
def xdist_speedup(ctx: BenchContext) -> Result:
    """The synthetic organization's unit suite at ``-n 2`` against ``-n 0`` (>= 1.6 on 2 cores), wall clock.

    The suite is the one generated with the organization (plan tests of every component and every policy,
    on every instance), on ``--xdist-stacks`` stacks; each run starts with an empty plan cache, as CI on a
    fresh machine does. CPU seconds (the run and all its processes) say how much work xdist adds: on 2
    cores the wall-clock speedup cannot exceed ``2 / xdist_cpu_ratio``. The same with a warm plan cache is
    printed for context. Subprocesses run with bytecode caching on, as on a contributor's machine.
    """
    import os
    import shutil

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="bench-xdist-") as tmp:
        org = generate(Path(tmp) / "org", stacks=ctx.xdist_stacks, components=len(ctx.org.components),
                       seed=0)
        cache = Path(tmp) / "plans"
        base = [sys.executable, "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider", "--engine", "static",
                "--harness-cache", str(cache)]

        def run(workers: str, *, cold: bool) -> tuple[float, float]:
            if cold:
                shutil.rmtree(cache, ignore_errors=True)
            extra = ["-n", workers, "--dist", "worksteal"] if workers != "0" else ["-n", "0"]
            return _suite_run([*base, *extra], org.root, env)

        run("0", cold=True)  # bytecode caches and a warm interpreter
        cold = [(run("0", cold=True), run("2", cold=True)) for _ in range(ctx.repeat)]
        warm = [(run("0", cold=False), run("2", cold=False)) for _ in range(ctx.repeat)]
    (serial, serial_cpu), _ = min(cold, key=lambda pair: pair[0][0])
    _, (parallel, parallel_cpu) = min(cold, key=lambda pair: pair[1][0])
    warm_serial = min(s[0] for s, _ in warm)
    warm_parallel = min(p[0] for _, p in warm)
    tests = ctx.xdist_stacks * len(ctx.org.components) * 4
    return {
        "unit_tests": tests,
        "unit_serial_seconds": f"{serial:.2f}",
        "unit_parallel_seconds": f"{parallel:.2f}",
        "xdist_speedup": f"{serial / parallel:.2f}",
        "xdist_cpu_ratio": f"{parallel_cpu / serial_cpu:.2f}",
        "xdist_warm_speedup": f"{warm_serial / warm_parallel:.2f}",
    }


# -- command line --------------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmarks on a synthetic Atmos organization; prints key=value results.",
    )
    parser.add_argument("--only", action="append", metavar="NAME", choices=sorted(BENCHMARKS),
                        help="run only this benchmark (repeatable); one of: %(choices)s")
    parser.add_argument("--stacks", type=int, default=500, metavar="N", help="top-level stacks (default 500)")
    parser.add_argument("--components", type=int, default=20, metavar="N", help="components per stack (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--xdist-stacks", type=int, default=50, metavar="N",
                        help="stacks of the organization whose unit suite xdist_speedup runs (default 50)")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="timed runs, best kept (default 3)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="cpu: process CPU time (default, steady on busy machines); wall: elapsed time")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="generate into DIR and keep it (default: a temporary directory)")
    args = parser.parse_args(argv)
    if min(args.stacks, args.components, args.repeat, args.xdist_stacks) < 1:
        parser.error("--stacks, --components, --repeat and --xdist-stacks must be positive")
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: the directory must be empty (old manifests would be resolved too)")
    return args


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> dict[str, Any]:
    names = args.only or list(BENCHMARKS)
    results: dict[str, Any] = {"clock": args.clock}
    out(f"clock={args.clock}")

    def execute(root: Path) -> None:
        org = generate(root, stacks=args.stacks, components=args.components, seed=args.seed)
        ctx = BenchContext(org=org, repeat=args.repeat, warmup=1, clock=CLOCKS[args.clock],
                           xdist_stacks=args.xdist_stacks)
        for name in names:
            for key, value in BENCHMARKS[name](ctx).items():
                results[key] = value
                out(f"{key}={value}")

    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        execute(args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="atmos-bench-") as tmp:
            execute(Path(tmp).resolve())
    return results


def main(argv: Sequence[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


def _same_go_collector() -> None:
    """Bare tfparse (static_overhead's baseline) runs in this process: give its Go runtime the collector
    setting the harness gives its tfparse child, so both sides evaluate alike (before tfparse loads)."""
    import os

    from harness.engines.static import child_env

    os.environ.setdefault("GOGC", child_env()["GOGC"])


sys.modules.setdefault("benchmarks.run", sys.modules[__name__])  # run as a script, modules register here
import benchmarks.affected_large  # noqa: E402
import benchmarks.deploy  # noqa: E402
import benchmarks.real_plans  # noqa: E402, F401
from benchmarks import checkov_overhead  # noqa: E402, F401

if __name__ == "__main__":
    _same_go_collector()
    sys.exit(main())
