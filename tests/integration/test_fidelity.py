"""The fidelity check on every deployable instance of the example: the static plan against a real terraform plan.

The terraform side plans through the batched engine and the plan cache: without xdist the first test plans
every instance at once (instances of one component folder in one terraform plan, folders in parallel); on an
xdist worker a test plans its instance's producers and then its component folder, each under a file lock, so
that two workers never plan the same folder and the second reads the first one's plans from the cache.
Skipped, with the reason, where no terraform binary or provider can plan the example offline.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from harness.atmos import Instance
from harness.engines import choose_engine
from harness.errors import HarnessError
from harness.plan.compare import EngineComparison, compare_instance
from harness.session import HarnessSession, SessionOptions

EXAMPLE = Path(__file__).resolve().parents[2]


def _example_instances() -> list[str]:
    """Deployable instances of the example, producers first (so that the first worker plans them first)."""
    session = HarnessSession(SessionOptions(base_path=EXAMPLE, engine="static", cache="off"))
    selected = session.selected
    return [i.id for i in sorted(selected, key=lambda i: (bool(session.needs(i)), i.folder, i.id))]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "instance_id" in metafunc.fixturenames:
        ids = _example_instances()
        metafunc.parametrize("instance_id", ids, ids=ids)


class Fidelity:
    """The static and the terraform session over the example, and the lock that keeps xdist workers apart."""

    def __init__(self, worker: bool) -> None:
        self.static = HarnessSession(SessionOptions(base_path=EXAMPLE, engine="static", cache="off"))
        # HARNESS_FIDELITY_CACHE: another plan cache folder, or "off" (the benchmarks time cold runs)
        self.real = HarnessSession(SessionOptions(base_path=EXAMPLE, engine="terraform",
                                                  cache=os.environ.get("HARNESS_FIDELITY_CACHE") or None))
        self.worker = worker
        if worker:
            # a test plans its component folder (one batch), not the whole example
            self.static.plan_groups = {i.id: i.folder for i in self.static.selected}
            self.real.plan_groups = {i.id: i.folder for i in self.real.selected}
        cache = self.real.cache
        self.locks = cache.directory / "fidelity-locks" if cache is not None else None

    def compare(self, instance_id: str) -> EngineComparison:
        if self.worker and self.locks is not None:
            self._plan_locked(self.real.instance(instance_id), set())
        return compare_instance(self.static, self.real, instance_id)

    def _plan_locked(self, instance: Instance, seen: set[str]) -> None:
        """Producers first, then the instance's folder, each under its folder's lock (never two locks held)."""
        if instance.id in seen:
            return
        seen.add(instance.id)
        for need in self.real.needs(instance):
            if need.producer is not None:
                self._plan_locked(need.producer, seen)
        assert self.locks is not None
        self.locks.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.locks / f"{instance.folder.replace('/', '_')}.lock"))
        with lock, contextlib.suppress(HarnessError):  # a failure is reported by the comparison
            self.real.plan(instance)

    def close(self) -> None:
        self.static.close()
        self.real.close()


@pytest.fixture(scope="session")
def fidelity(request: pytest.FixtureRequest) -> Iterator[Fidelity]:
    """Skips the module, with auto's reason, unless terraform can plan every component of the example here."""
    probe = HarnessSession(SessionOptions(base_path=EXAMPLE, engine="static", cache="off"))
    chosen, reason = choose_engine(sorted({i.component_path for i in probe.selected}))
    if chosen != "terraform":
        pytest.skip(f"the terraform engine cannot plan the example here: {reason}")
    run = Fidelity(worker=hasattr(request.config, "workerinput"))
    try:
        yield run
    finally:
        run.close()


def test_static_plan_matches_terraform(fidelity: Fidelity, instance_id: str) -> None:
    comparison = fidelity.compare(instance_id)
    assert comparison.error is None, comparison.error
    assert comparison.ok, "\n".join([comparison.summary(), *comparison.details()])
    assert comparison.addresses or comparison.matching, f"{instance_id}: nothing compared"


def _decisions(session: HarnessSession, instance_id: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(undetermined, decided) policy findings of one instance, by (policy, address)."""
    instance = session.instance(instance_id)
    result = session.policies(instance, session.plan(instance))
    undetermined = {(f.policy, f.address or "") for f in result.undetermined}
    decided = {(f.policy, f.address or "") for f in result.findings if f not in result.undetermined}
    return undetermined, decided | {(p, "") for p in result.passed}


def test_policies_decide_on_the_recorded_terraform_plan_as_much_as_on_the_static_plan(
        fidelity: Fidelity, instance_id: str) -> None:
    """The terraform plan is read by the recorded engine's loader: every policy the static plan decides is
    decided there too (a plan with more known values never leaves more undetermined)."""
    fidelity.compare(instance_id)  # plans both (producers first on a worker)
    static_undetermined, static_decided = _decisions(fidelity.static, instance_id)
    real_undetermined, _ = _decisions(fidelity.real, instance_id)
    lost = sorted(real_undetermined - static_undetermined)
    assert not lost, f"{instance_id}: undetermined on the terraform plan, decided on the static plan: {lost}"
    assert static_decided or static_undetermined or real_undetermined is not None
