"""Root conftest: the harness plugin loads itself through its pytest11 entry point.

The example infrastructure (atmos.yaml, stacks/, components/) lives at the repository root, so
tests run from here find it without options; `--base-path DIR` points the same tests at another
Atmos repository.
"""

collect_ignore = ["components", "stacks", "benchmarks"]
