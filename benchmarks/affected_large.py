"""``affected_ratio_large``: the one-file ``affected`` answer at the scale of a large organization (<= 0.1).

The same measurement as ``affected_ratio`` (a warm stack index, one stack manifest changed, against describing
every stack), on an organization of ``LARGE_STACKS`` stacks generated for it, so the incremental path is seen
to grow with what changed rather than with the organization.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from benchmarks.run import BenchContext, Result, affected_ratio, benchmark
from benchmarks.synthetic import generate

LARGE_STACKS = 4000


@benchmark("affected_ratio_large")
def affected_ratio_large(ctx: BenchContext) -> Result:
    """``affected_ratio`` at 4,000 stacks (100,000 instances with 25 components per stack by default)."""
    components = len(ctx.org.components)
    with tempfile.TemporaryDirectory(prefix="bench-affected-large-") as tmp:
        org = generate(Path(tmp) / "org", stacks=LARGE_STACKS, components=components, seed=0)
        results = affected_ratio(dataclasses.replace(ctx, org=org))
    out: Result = {"affected_large_stacks": LARGE_STACKS}
    for key, value in results.items():
        out[key.replace("affected_", "affected_large_", 1) if key != "affected_ratio" else "affected_ratio_large"] \
            = value
    return out
