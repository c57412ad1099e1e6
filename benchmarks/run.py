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
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="timed runs, best kept (default 3)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="cpu: process CPU time (default, steady on busy machines); wall: elapsed time")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="generate into DIR and keep it (default: a temporary directory)")
    args = parser.parse_args(argv)
    if args.stacks < 1 or args.components < 1 or args.repeat < 1:
        parser.error("--stacks, --components and --repeat must be positive")
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: the directory must be empty (old manifests would be resolved too)")
    return args


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> dict[str, Any]:
    names = args.only or list(BENCHMARKS)
    results: dict[str, Any] = {"clock": args.clock}
    out(f"clock={args.clock}")

    def execute(root: Path) -> None:
        org = generate(root, stacks=args.stacks, components=args.components, seed=args.seed)
        ctx = BenchContext(org=org, repeat=args.repeat, warmup=1, clock=CLOCKS[args.clock])
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


if __name__ == "__main__":
    sys.exit(main())
