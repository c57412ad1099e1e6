"""e2e: the validators against a deployed environment.

Without ``--live`` the environment is the emulator (embedded moto unless ``HARNESS_EMULATOR`` names
another), seeded here from the stack config, compliant and with deliberate drifts. With ``--live``
(``--allow-account ID``, repeatable, or ``settings.harness.live.allowed_accounts``) the same compliant
tests read real accounts, read-only, and seed nothing; ``--outputs-dir DIR`` gives recorded outputs.
Run the live suite as ``pytest tests/e2e --live --allow-account 111111111111`` (the options are the
harness plugin's).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from harness.atmos import Instance, Resolver, load_config
from harness.aws import Emulator
from harness.verify import VALIDATORS, InstanceReport, LiveAccessRefused, LivePolicy, ReadOnlyAccess, Verifier
from tests.e2e.drifts import DRIFTS, Drift, schedule
from tests.e2e.seed import Seeder

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

# Checks the embedded moto cannot decide (the API is not served): undetermined there, by design.
MOTO_GAPS = {
    "budgets": {"budgets.subscribers", "budgets.anomaly_monitor", "budgets.anomaly_subscription"},
    "securityhub": {"securityhub.standards", "securityhub.finding_aggregator"},
}


# Said once per test process that verifies seeded resources (the warnings summary shows it).
SEEDED_NOTE = ("e2e: the seeded worlds verify resources that tests/e2e/seed.py made with boto3, not terraform: "
               "every instance and every drift of the catalogue would need a terraform deploy per drift round (15), "
               "beyond the CI budget, and budgets cannot be deployed into moto at all (no "
               "DescribeSubscribersForNotification). tests/e2e/test_terraform_deployed.py verifies what terraform "
               "deployed, where the provider is installed.")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@cache
def example_resolver() -> Resolver:
    """The example repository's stacks (collection-time parametrization needs it outside fixtures)."""
    return Resolver(load_config(REPO))


def validated_instances() -> list[Instance]:
    """Every deployable instance of the example that has a validator."""
    return sorted((i for i in example_resolver().instances() if i.deployable and i.folder in VALIDATORS),
                  key=lambda i: i.id)


@dataclass(frozen=True)
class E2EOptions:
    live: bool
    allow_accounts: tuple[str, ...]
    outputs_dir: Path | None


@pytest.fixture(scope="session")
def e2e(pytestconfig: pytest.Config) -> E2EOptions:
    outputs = getattr(pytestconfig.option, "harness_outputs_dir", None)
    return E2EOptions(live=bool(getattr(pytestconfig.option, "harness_live", False)),
                      allow_accounts=tuple(getattr(pytestconfig.option, "harness_allow_accounts", None) or ()),
                      outputs_dir=Path(outputs) if outputs else None)


@pytest.fixture(scope="session")
def resolver() -> Resolver:
    return example_resolver()


def _managed_policies_subset(resolver: Resolver) -> set[str]:
    """AWS-managed policies the stacks attach (plus AdministratorAccess for a drift), by name."""
    names = {"AdministratorAccess"}
    for inst in resolver.instances():
        for arn in inst.vars.get("managed_policy_arns") or []:
            if str(arn).startswith("arn:aws:iam::aws:policy/"):
                names.add(str(arn).rsplit("/", 1)[-1])
    return names


@pytest.fixture(scope="session")
def emulator(e2e: E2EOptions, resolver: Resolver) -> Iterator[Emulator | None]:
    """The emulator (None with --live). The embedded moto gets the AWS-managed policies the stacks attach:
    loading all ~1,600 of them for every account moto touches makes each reset cost seconds."""
    if e2e.live:
        yield None
        return
    patch = pytest.MonkeyPatch()
    emulator = Emulator.from_env()
    if emulator.kind == "moto":
        import moto.iam.aws_managed_policies as catalogue
        import moto.iam.models as iam_models

        everything = json.loads(catalogue.aws_managed_policies_data)
        wanted = _managed_policies_subset(resolver)
        patch.setattr(iam_models, "aws_managed_policies_data",
                      json.dumps({n: everything[n] for n in wanted if n in everything}))
        patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
        patch.undo()


@dataclass
class Worlds:
    """What the emulator holds now; a world is built once per test process and its reports kept."""

    emulator: Emulator
    resolver: Resolver
    workdir: Path
    current: str | None = None
    seeder: Seeder | None = None
    generation: int = -1
    reports: dict[str, dict[str, InstanceReport]] = field(default_factory=dict)

    def load(self, key: str, build: Callable[[Seeder], None], *, write_states: bool = True) -> Seeder:
        """Reset and build world ``key`` unless it is the one loaded (and nobody has reset the emulator since:
        other suites in the same process share the embedded server and reset it for their own tests)."""
        if self.current != key or self.seeder is None or self.generation != self.emulator.generation:
            warnings.warn(SEEDED_NOTE, UserWarning, stacklevel=2)
            self.emulator.reset()
            self.current = None
            seeder = Seeder(self.emulator, self.resolver, write_states=write_states)
            build(seeder)
            self.seeder, self.current, self.generation = seeder, key, self.emulator.generation
        return self.seeder

    def scratch(self) -> Emulator:
        """An empty emulator for a test that writes what it likes; no world survives it."""
        self.emulator.reset()
        self.current = self.seeder = None
        return self.emulator

    def verifier(self, **kwargs: Any) -> Verifier:
        return Verifier(self.resolver, ReadOnlyAccess.for_emulator(self.emulator), **kwargs)

    # -- the compliant world: every stack, state written to the backend --------------------------------
    def compliant_world(self) -> Seeder:
        """Load the compliant world (every instance but tfstate-backend, seeded as its stack says)."""
        instances = [i for i in validated_instances() if i.folder != "tfstate-backend"]

        def build(seeder: Seeder) -> None:
            for inst in sorted(instances, key=lambda i: (i.folder != "log-bucket", i.id)):
                seeder.seed(inst)

        return self.load("compliant", build)

    def compliant(self) -> dict[str, InstanceReport]:
        if "compliant" not in self.reports:
            self.compliant_world()
            verifier = self.verifier()
            self.reports["compliant"] = {i.id: verifier.verify(i) for i in validated_instances()
                                         if i.folder != "tfstate-backend"}
        return self.reports["compliant"]

    # -- drift rounds: drifted instances (plus producers), outputs recorded in a directory -------------
    def drift_report(self, wanted: Drift) -> InstanceReport:
        rounds = schedule(DRIFTS, self.resolver)
        index = next(k for k, r in enumerate(rounds) if wanted in r)
        key = f"round-{index}"
        if key not in self.reports:
            outputs_dir = self.workdir / key
            round_ = rounds[index]

            def build(seeder: Seeder) -> None:
                for d in round_:
                    if d.seed is not None:
                        seeder.seed(self.resolver.instance(d.component, d.stack), **d.seed)
                for d in round_:
                    inst = self.resolver.instance(d.component, d.stack)
                    if d.apply is not None:
                        d.apply(seeder, inst, seeder.inputs(inst), seeder.outputs[inst.id])
                for instance_id, outputs in seeder.outputs.items():
                    stack, _, component = instance_id.partition("/")
                    seeder.write_outputs(outputs_dir, self.resolver.instance(component, stack), outputs)

            self.load(key, build, write_states=False)
            verifier = self.verifier(outputs_dir=outputs_dir, from_state=False)
            self.reports[key] = {d.id: verifier.verify(self.resolver.instance(d.component, d.stack))
                                 for d in round_}
        return self.reports[key][wanted.id]


@pytest.fixture(scope="session")
def worlds(emulator: Emulator | None, resolver: Resolver,
           tmp_path_factory: pytest.TempPathFactory) -> Worlds:
    if emulator is None:
        pytest.skip("seeded worlds need the emulator (not with --live)")
    return Worlds(emulator, resolver, tmp_path_factory.mktemp("e2e-outputs"))


@pytest.fixture(scope="session")
def live_verifier(e2e: E2EOptions, resolver: Resolver) -> Callable[[Instance], InstanceReport]:
    """Verify one instance in its real account; skip (with the reason) when live mode refuses it."""
    policy = LivePolicy.of(e2e.allow_accounts)
    access: list[ReadOnlyAccess] = []

    def verify(instance: Instance) -> InstanceReport:
        try:
            policy.gate([instance])
        except LiveAccessRefused as exc:
            pytest.skip(str(exc))
        if not access:
            access.append(ReadOnlyAccess.for_aws(policy, profile=os.environ.get("AWS_PROFILE") or None))
        return Verifier(resolver, access[0], outputs_dir=e2e.outputs_dir).verify(instance)

    return verify
