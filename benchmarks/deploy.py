"""``deploy_ratio`` (<= 0.6): deploy plus destroy of the example organization with real terraform and the
hashicorp/aws provider into the embedded emulator, against a naive sequential loop.

The harness side is :class:`harness.deploy.Deployment` as the integration tests use it: producers first,
independent instances applied at once (up to the cores), then the teardown, consumers first, also in
parallel. The naive side is the loop a script around ``atmos terraform apply`` runs: per instance, in
dependency order, copy the component, ``init`` and ``apply``; then ``destroy`` each in reverse order.
Both deploy the same instances: the organization's deployable instances that moto can serve (the
integration test's subset unless ``HARNESS_FULL_ORG=1``), with the same moto adjustments.

Wall clock, one run of each side (minutes each). Without terraform or the provider it prints why and skips.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.run import REPO, BenchContext, Result, benchmark


def _why_not() -> str | None:
    from harness.engines import components_terraform, real_terraform_gap

    root = REPO / "components" / "terraform"
    try:
        binary = components_terraform(root)
    except Exception as exc:  # noqa: BLE001 - the reason is printed
        return f"no terraform binary: {exc}"
    return real_terraform_gap(binary, root)


def _targets(resolver: Any) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    from tests.integration.organization import EXTRA_VARS, organization_targets

    targets = organization_targets(resolver)
    return targets, {i.id: EXTRA_VARS[i.folder] for i in targets if i.folder in EXTRA_VARS}


def _harness_seconds() -> tuple[float, float, int]:
    """(deploy seconds, destroy seconds, instances) with the harness's Deployment."""
    from harness.atmos import Resolver, load_config
    from harness.aws import Emulator
    from harness.deploy import Deployment

    resolver = Resolver(load_config(REPO))
    targets, extra = _targets(resolver)
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp, Emulator("moto") as emulator:
        deployment = Deployment(resolver, emulator, ledger_dir=Path(tmp) / "ledger", workdir_root=Path(tmp),
                                handle_signals=False)
        start = time.perf_counter()
        try:
            results = deployment.deploy(targets, with_dependencies=True, extra_vars=extra, skip_unserved=True)
        finally:
            deployed = time.perf_counter()
            report = deployment.teardown()
        destroyed = time.perf_counter()
        if not report.ok:
            raise RuntimeError(f"teardown failed: {[r.error for r in report.failed]}")
    return deployed - start, destroyed - deployed, len(results)


def _naive_seconds() -> tuple[float, float, int]:
    """(apply seconds, destroy seconds, instances): copy, init, apply each in order; destroy in reverse."""
    from harness.atmos import Resolver, load_config
    from harness.aws import Emulator
    from harness.deploy import BackendRef, TerraformError, Workdir, bootstrap_backend, emulator_gap, resolve_inputs
    from harness.deploy.backend import backend_session
    from harness.deploy.graph import deploy_order
    from harness.deploy.state import read_state, state_info
    from harness.deploy.workdir import spec_for
    from harness.tools import terraform_binary
    from harness.tools.terraform import find_terraform

    resolver = Resolver(load_config(REPO))
    targets, extra = _targets(resolver)
    order = deploy_order(targets, resolver, with_dependencies=True)
    binary = terraform_binary(find_terraform())
    with tempfile.TemporaryDirectory(prefix="bench-naive-deploy-") as tmp, Emulator("moto") as emulator:

        def read_outputs(producer: Any) -> dict[str, Any] | None:
            ref = BackendRef.from_instance(producer)
            found = read_state(backend_session(ref, emulator), ref.bucket, ref.key)
            return None if found is None else dict(state_info(found[0], bucket=ref.bucket, key=ref.key,
                                                              size=found[1]).outputs)

        applied: list[Workdir] = []
        start = time.perf_counter()
        try:
            for n, instance in enumerate(order):
                ref = BackendRef.from_instance(instance)
                bootstrap_backend(ref, backend_session(ref, emulator))
                variables = {**resolve_inputs(instance, resolver, read_outputs), **(extra.get(instance.id) or {})}
                workdir = Workdir(spec_for(instance, variables, emulator=emulator, binary=binary), binary,
                                  path=Path(tmp) / f"naive-{n}" / instance.folder)
                workdir.prepare()
                applied.append(workdir)
                try:
                    workdir.apply()
                except TerraformError as exc:
                    if emulator_gap(exc.output or str(exc)) is None:  # what the emulator cannot serve goes on
                        raise
        finally:
            deployed = time.perf_counter()
            for workdir in reversed(applied):
                workdir.destroy()
        destroyed = time.perf_counter()
    return deployed - start, destroyed - deployed, len(order)


@benchmark("deploy_ratio")
def deploy_ratio(ctx: BenchContext) -> Result:
    """Deploy plus destroy with the harness over the naive sequential loop (target <= 0.6)."""
    reason = _why_not()
    if reason:
        print(f"deploy_ratio skipped: {reason}", file=sys.stderr)
        return {"deploy_ratio": "skipped", "deploy_skip_reason": reason}
    os.environ.setdefault("TF_IN_AUTOMATION", "1")
    apply_h, destroy_h, count = _harness_seconds()
    print(f"deploy_harness_seconds={apply_h:.1f}+{destroy_h:.1f} ({count} instances)", file=sys.stderr)
    apply_n, destroy_n, naive_count = _naive_seconds()
    return {
        "deploy_instances": count,
        "deploy_harness_seconds": f"{apply_h:.1f} apply + {destroy_h:.1f} destroy",
        "deploy_naive_seconds": f"{apply_n:.1f} apply + {destroy_n:.1f} destroy ({naive_count} instances)",
        "deploy_ratio": f"{(apply_h + destroy_h) / (apply_n + destroy_n):.3f}",
    }
