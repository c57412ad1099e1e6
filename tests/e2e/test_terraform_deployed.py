"""The validators against what real terraform and hashicorp/aws deployed (no seeder): no drift on the
compliant deploy, then drifts made by hand with boto3 on those resources, each reported.

One test, one deploy: log-bucket, the dev vpc, its web security group and the ci-deployer role (with
account-map, which it reads), into the embedded emulator, each stack in its own account. The seeded
worlds of ``test_validators.py`` cover every instance and every check where no provider runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.atmos import Resolver
from harness.aws import Emulator
from harness.deploy import Deployment
from harness.engines import components_terraform, real_terraform_gap
from harness.verify import ReadOnlyAccess, Status, Verifier, render_table
from tests.e2e.conftest import MOTO_GAPS, REPO
from tests.e2e.drifts import DRIFTS, Drift
from tests.e2e.seed import Seeder

DEPLOYED = ("core-ue1-log-archive/log-bucket", "plat-ue1-dev/vpc", "plat-ue1-dev/security-group/web",
            "plat-ue1-dev/iam-role/ci-deployer")
# Drifts from the catalogue (by component folder and name), made with boto3 on each instance's real
# resources from the variables and outputs terraform used. Several per instance, on distinct checks, and
# none that would stop terraform destroying what it made (a NAT or subnet made by hand in its VPC, a policy
# attached by hand to its role).
INJECTED = {"core-ue1-log-archive/log-bucket": ("versioning-suspended", "sse-s3", "rotation-off", "short-retention"),
            "plat-ue1-dev/vpc": ("dns-hostnames-off", "tag-removed", "public-ip-on-launch", "default-sg-rule"),
            "plat-ue1-dev/security-group/web": ("tag-removed", "extra-ingress", "egress-revoked"),
            "plat-ue1-dev/iam-role/ci-deployer": ("description", "tag-removed")}


def _drifts(folder: str, instance_id: str) -> list[Drift]:
    names = INJECTED[instance_id]
    found = {d.name: d for d in DRIFTS if d.component.split("/")[0] == folder and d.name in names and d.apply}
    assert set(found) == set(names), f"not in the drift catalogue: {set(names) - set(found)}"
    return [found[n] for n in names]


def _explain(reports: list[object]) -> str:
    return "\n" + render_table(reports)  # type: ignore[arg-type]


def test_what_terraform_deployed_validates_clean_and_every_injected_drift_is_reported(
        emulator: Emulator | None, resolver: Resolver, tmp_path: Path) -> None:
    if emulator is None:
        pytest.skip("deploys into the emulator (not with --live)")
    terraform = components_terraform(REPO / "components" / "terraform")
    gap = real_terraform_gap(terraform, REPO / "components" / "terraform")
    if gap:
        pytest.skip(f"the seeded worlds stand in for a terraform deploy here: {gap}")
    emulator.reset()
    targets = [resolver.instance(*reversed(i.split("/", 1))) for i in DEPLOYED]
    try:
        with Deployment(resolver, emulator, terraform=terraform, ledger_dir=tmp_path / "ledger",
                        workdir_root=tmp_path, handle_signals=False) as deployment:
            results = {r.instance_id: r for r in deployment.deploy(targets, with_dependencies=True)}
            assert set(DEPLOYED) <= set(results), sorted(results)
            verifier = Verifier(resolver, ReadOnlyAccess.for_emulator(emulator))

            # The compliant deploy: every check passes; undetermined only where moto serves no API.
            clean = [verifier.verify(i) for i in targets]
            for report in clean:
                assert report.results, f"{report.id}: no checks ran"
                assert report.outputs_source.startswith("state s3://"), report.outputs_source
                assert not report.failed(), _explain(clean)
                folder = resolver.instance(*reversed(report.id.split("/", 1))).folder
                assert report.undetermined() <= MOTO_GAPS.get(folder, set()), _explain(clean)

            # Drifts made by hand on those resources: each instance fails exactly its drift's checks.
            writer = Seeder(emulator, resolver, write_states=False)
            expected: dict[str, frozenset[str]] = {}
            for instance in targets:
                result = results[instance.id]
                drifts = _drifts(instance.folder, instance.id)
                for drift in drifts:
                    assert drift.apply is not None
                    drift.apply(writer, instance, dict(result.variables), dict(result.outputs))
                expected[instance.id] = frozenset().union(*(d.fails for d in drifts))
            drifted = [verifier.verify(i) for i in targets]
            for report in drifted:
                assert report.failed() == expected[report.id], _explain(drifted)
                for name in expected[report.id]:
                    check = report.by_name()[name]
                    assert check.status is Status.FAIL and check.expected != check.actual
        assert deployment.applied == []
    finally:
        emulator.reset()  # the seeded worlds of other tests see a new generation and rebuild
