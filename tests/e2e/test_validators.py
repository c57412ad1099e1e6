"""Validators against the stacks: compliant everywhere, and every deliberate drift caught.

Compliant tests run for every deployable instance of the example (seeded from its stack config on the
emulator, or as deployed with --live). Drift tests inject one drift per check on the emulator and
require exactly the drifted checks to fail, each naming expected and actual.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.atmos import Instance
from harness.verify import InstanceReport, Status, render_table
from tests.e2e.conftest import MOTO_GAPS, E2EOptions, Worlds, validated_instances
from tests.e2e.drifts import DRIFTS, Drift

INSTANCES = validated_instances()


def _gaps(worlds: Worlds, folder: str) -> set[str]:
    return MOTO_GAPS.get(folder, set()) if worlds.emulator.kind == "moto" else set()


def _explain(report: InstanceReport) -> str:
    return "\n" + render_table([report])


@pytest.mark.parametrize("instance", INSTANCES, ids=lambda i: i.id)
def test_compliant(instance: Instance, e2e: E2EOptions, request: pytest.FixtureRequest) -> None:
    """What the stack describes is what is deployed: no check fails."""
    if e2e.live:
        live: Callable[[Instance], InstanceReport] = request.getfixturevalue("live_verifier")
        report = live(instance)
        assert not report.drift, _explain(report)
        return
    worlds: Worlds = request.getfixturevalue("worlds")
    if instance.folder == "tfstate-backend":
        report = worlds.drift_report(next(d for d in DRIFTS if d.instance_id == instance.id and d.name == "compliant"))
    else:
        report = worlds.compliant()[instance.id]
    assert report.results, f"{instance.id}: no checks ran"
    assert not report.failed(), _explain(report)
    if worlds.emulator.kind == "moto":  # other emulators have gaps of their own: reported, not asserted
        assert report.undetermined() <= _gaps(worlds, instance.folder), _explain(report)


def test_outputs_sources(request: pytest.FixtureRequest, e2e: E2EOptions) -> None:
    """Name lookup (no outputs) and recorded outputs give the same verdicts as state outputs."""
    if e2e.live:
        pytest.skip("compares outputs sources on the seeded emulator")
    worlds: Worlds = request.getfixturevalue("worlds")
    by_state = worlds.compliant()
    seeder = worlds.compliant_world()
    chosen = [i for i in INSTANCES if i.stack == "plat-ue1-dev"]
    lookup = worlds.verifier(from_state=False)
    outputs_dir = worlds.workdir / "compliant-outputs"
    for instance_id, outputs in seeder.outputs.items():  # account-map's too: ci-deployer's principals need it
        stack, _, component = instance_id.partition("/")
        seeder.write_outputs(outputs_dir, worlds.resolver.instance(component, stack), outputs,
                             wrapped=component != "vpc")
    recorded = worlds.verifier(outputs_dir=outputs_dir, from_state=False)
    for inst in chosen:
        state_report, lookup_report, file_report = by_state[inst.id], lookup.verify(inst), recorded.verify(inst)
        assert state_report.outputs_source.startswith("state s3://"), state_report.outputs_source
        assert lookup_report.outputs_source == "lookup by name"
        assert file_report.outputs_source.startswith("file ")
        assert not lookup_report.failed() and not file_report.failed(), _explain(lookup_report)
        assert {r.check: r.status for r in file_report.results} == {r.check: r.status for r in state_report.results}
        if inst.component == "iam-role/ci-deployer":
            # principals come from !terraform.output account-map: undecidable without any outputs
            principals = lookup_report.by_name()["iam_role.trust_principals"]
            assert principals.status is Status.UNDETERMINED and "account-map" in principals.reason
        else:
            assert lookup_report.undetermined() == state_report.undetermined(), _explain(lookup_report)


@pytest.mark.parametrize("drift", [d for d in DRIFTS if d.fails], ids=lambda d: d.id)
def test_drift_is_caught(drift: Drift, e2e: E2EOptions, request: pytest.FixtureRequest) -> None:
    """Exactly the drifted checks fail, and each names what the stack wants and what AWS has."""
    if e2e.live:
        pytest.skip("drifts are injected into the emulator only; --live never writes")
    worlds: Worlds = request.getfixturevalue("worlds")
    report = worlds.drift_report(drift)
    assert report.failed() == drift.fails, _explain(report)
    for name in drift.fails:
        result = report.by_name()[name]
        assert result.expected != result.actual
        assert result.expected is not None
    folder = worlds.resolver.instance(drift.component, drift.stack).folder
    for result in report.results:
        if result.status is Status.UNDETERMINED:
            assert result.check in _gaps(worlds, folder) or result.reason.startswith("needs "), _explain(report)


# Checks no drift can exercise here: moto hard-codes the hub's control settings, and the stacks keep
# RUNTIME_MONITORING off (its agent settings only count when it is on; turning it on is a features drift).
NOT_DRIFTABLE = {"securityhub.controls", "guardduty.runtime_monitoring"}


def test_every_check_has_a_drift(e2e: E2EOptions, request: pytest.FixtureRequest) -> None:
    """Every check the validators ran is failed by some drift, bar the emulator's gaps (listed)."""
    if e2e.live:
        pytest.skip("the drift catalogue is exercised on the emulator")
    worlds: Worlds = request.getfixturevalue("worlds")
    ran = {r.check for report in worlds.compliant().values() for r in report.results}
    ran |= {r.check for r in worlds.drift_report(next(d for d in DRIFTS if d.name == "compliant")).results}
    drifted = {name for d in DRIFTS for name in d.fails}
    gaps = set().union(*MOTO_GAPS.values()) if worlds.emulator.kind == "moto" else set()
    assert ran - drifted - gaps - NOT_DRIFTABLE == set()
    assert drifted <= ran
