"""Integration fixtures: one emulator per test process (per xdist worker), the pinned terraform, deployments
that are always torn down, and checks that nothing is left behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.atmos import Resolver, load_config
from harness.aws import Emulator
from harness.deploy import Deployment, ledger_files, sweep
from harness.engines import components_terraform
from harness.errors import HarnessError
from harness.tools import TerraformBinary, provider_available
from tests.integration.helpers import REPO, build_repo


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_repo(tmp_path_factory.mktemp("atmos-repo"))


@pytest.fixture(scope="session")
def resolver(repo: Path) -> Resolver:
    return Resolver(load_config(repo))


@pytest.fixture(scope="session")
def terraform() -> TerraformBinary:
    """HARNESS_TERRAFORM, else a terraform/tofu on PATH meeting every example component's ``required_version``,
    else the pinned 1.0.3 of the [test] extra (then the tests that need a newer one skip, saying so)."""
    return components_terraform(REPO / "components" / "terraform")


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    """HARNESS_EMULATOR: moto (default, embedded on a free port) | localstack | URL."""
    emulator = Emulator.from_env()
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


def _reset(emulator: Emulator) -> None:
    try:
        emulator.reset()
    except HarnessError:
        if emulator.kind != "url":
            raise


@pytest.fixture
def emu(emulator_server: Emulator) -> Iterator[Emulator]:
    """The emulator, empty: reset before the test (other suites in this worker share the embedded moto's
    state) and after it."""
    _reset(emulator_server)
    yield emulator_server
    _reset(emulator_server)


@pytest.fixture
def needs(emulator_server: Emulator) -> Callable[[str], None]:
    """Skip, with the emulator's own reason, when it cannot serve a service here."""
    def need(service: str) -> None:
        ok, reason = emulator_server.supports(service)
        if not ok:
            pytest.skip(reason)

    return need


@pytest.fixture
def aws_provider(terraform: TerraformBinary) -> None:
    """Skip unless the hashicorp/aws provider can be installed (cache, mirror or registry)."""
    ok, reason = provider_available(terraform.path)
    if not ok:
        pytest.skip(reason)


@pytest.fixture
def ledger_dir(tmp_path: Path) -> Path:
    return tmp_path / "ledger"


@pytest.fixture
def workdir_root(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    root.mkdir()
    return root


@pytest.fixture
def make_deployment(resolver: Resolver, emu: Emulator, terraform: TerraformBinary, ledger_dir: Path,
                    workdir_root: Path, needs: Callable[[str], None]) -> Iterator[Callable[..., Deployment]]:
    """Deployments for a test; afterwards: everything destroyed, no leftover state, ledger or working copy."""
    needs("s3")
    needs("dynamodb")  # every backend in the example has a lock table
    made: list[Deployment] = []

    def make(**kwargs: Any) -> Deployment:
        options: dict[str, Any] = {"terraform": terraform, "ledger_dir": ledger_dir, "workdir_root": workdir_root,
                                   "lock_timeout": "30s"}
        options.update(kwargs)
        deployment = Deployment(resolver, emu, **options)
        made.append(deployment)
        return deployment

    yield make
    touched = {r.instance_id: resolver.instance(*reversed(r.instance_id.split("/", 1))) for d in made
               for r in d.results}
    for deployment in made:
        if deployment.applied:
            deployment.teardown()
    leftovers = sweep(touched.values(), emu)
    assert leftovers == [], f"state left behind: {leftovers}"
    assert ledger_files(ledger_dir) == [], "a ledger was left behind"
    assert list(workdir_root.iterdir()) == [], "a working copy was left behind"
