"""Guaranteed teardown: a test failing midway, a run interrupted by SIGINT/SIGTERM, and a run killed outright
(SIGKILL, cleaned up from its ledger) all end with no state resources, no ledger entries, no working copies."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.atmos import Resolver
from harness.aws import Emulator, eventually
from harness.deploy import (
    BackendRef,
    Deployment,
    backend_session,
    bootstrap_backend,
    cleanup,
    find_pending,
    inspect_state,
    instance_backups,
    ledger_files,
    list_locks,
    read_ledger,
    sweep,
)
from harness.deploy.ledger import process_alive
from harness.tools import TerraformBinary
from tests.integration.helpers import ChildRun, consumer_vars, instances

MakeDeployment = Callable[..., Deployment]


class MidwayFailure(Exception):
    pass


def assert_nothing_left(resolver: Resolver, emu: Emulator, ledger_dir: Path, workdir_root: Path) -> None:
    producer, consumer = instances(resolver)
    assert sweep([producer, consumer], emu) == []
    for instance in (producer, consumer):
        info = inspect_state(instance, emu)
        assert info is None or (info.resources == () and info.outputs == {})
    assert ledger_files(ledger_dir) == []
    assert list(workdir_root.iterdir()) == []


def test_a_test_failing_midway_leaves_nothing(make_deployment: MakeDeployment, resolver: Resolver, emu: Emulator,
                                             terraform: TerraformBinary, ledger_dir: Path, workdir_root: Path) -> None:
    deployment = make_deployment()
    with pytest.raises(MidwayFailure), deployment:
        deployment.deploy(["account-consumer"], stack="plat-ue1-sandbox", with_dependencies=True,
                          extra_vars=consumer_vars(resolver, emu, terraform))
        assert len(ledger_files(ledger_dir)) == 1
        assert len(sweep(instances(resolver), emu)) == 2
        raise MidwayFailure("the test failed after applying")
    assert deployment.last_teardown is not None and len(deployment.last_teardown.destroyed) == 2
    assert_nothing_left(resolver, emu, ledger_dir, workdir_root)


@pytest.fixture
def child(repo: Path, emu: Emulator, terraform: TerraformBinary, resolver: Resolver, ledger_dir: Path,
          workdir_root: Path, needs: Callable[[str], None]) -> Iterator[Callable[[], ChildRun]]:
    """Start child deploy runs; whatever happens, none is left running."""
    needs("dynamodb")
    runs: list[ChildRun] = []

    def start() -> ChildRun:
        run = ChildRun.start(repo=repo, emulator=emu, terraform=terraform, ledger_dir=ledger_dir,
                             workdir_root=workdir_root, extra_vars=consumer_vars(resolver, emu, terraform))
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.kill()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_tears_down_then_reraises(child: Callable[[], ChildRun], signum: int, resolver: Resolver,
                                                    emu: Emulator, ledger_dir: Path, workdir_root: Path) -> None:
    run = child()
    run.wait_applied()
    assert [p.instance_id for p in find_pending(ledger_dir)] == ["core-ue1-root/account-map",
                                                                  "plat-ue1-sandbox/account-consumer"]
    assert len(sweep(instances(resolver), emu)) == 2
    run.signal(signum)
    code = run.wait()
    # Teardown ran, then the signal went on: SIGINT as KeyboardInterrupt, SIGTERM as the default action.
    assert code == -signum, run.output
    if signum == signal.SIGINT:
        assert "KeyboardInterrupt" in run.output or "DeployInterrupted" in run.output
    assert_nothing_left(resolver, emu, ledger_dir, workdir_root)
    producer, consumer = instances(resolver)
    assert len(instance_backups(producer, emu)) == 2 and len(instance_backups(consumer, emu)) == 2


def test_cleanup_destroys_what_a_killed_run_left(child: Callable[[], ChildRun], resolver: Resolver, emu: Emulator,
                                                terraform: TerraformBinary, ledger_dir: Path,
                                                workdir_root: Path) -> None:
    run = child()
    run.wait_applied()
    # A live run is not touched.
    live = cleanup(ledger_dir, terraform=terraform)
    assert [reason.split(" (")[0] for reason in live.skipped_runs.values()] == ["still running"]
    run.signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL
    # Killed outright: no teardown ran, the ledger and the states say what is left.
    assert len(sweep(instances(resolver), emu)) == 2
    [ledger] = ledger_files(ledger_dir)
    assert [e["event"] for e in read_ledger(ledger)] == ["run", "apply-start", "apply", "apply-start", "apply"]
    dry = cleanup(ledger_dir, terraform=terraform, dry_run=True)
    assert [p.instance_id for p in dry.pending] == ["core-ue1-root/account-map", "plat-ue1-sandbox/account-consumer"]
    assert ledger_files(ledger_dir) == [ledger]

    report = cleanup(ledger_dir, terraform=terraform)
    assert report.ok, report.failed
    assert report.destroyed == ["plat-ue1-sandbox/account-consumer", "core-ue1-root/account-map"]
    assert report.removed_ledgers == [ledger.stem]
    assert [b.reason for b in report.backups] == ["cleanup-destroy", "cleanup-destroy"]
    assert_nothing_left(resolver, emu, ledger_dir, workdir_root)
    assert cleanup(ledger_dir, terraform=terraform).pending == []


def test_a_signal_during_a_terraform_run_stops_it_and_tears_down(child: Callable[[], ChildRun], resolver: Resolver,
                                                                 emu: Emulator, ledger_dir: Path,
                                                                 workdir_root: Path) -> None:
    # Someone holds the consumer's state lock, so after account-map is applied the child run blocks inside
    # `terraform apply` (waiting for the lock): the signal arrives while terraform runs.
    _, consumer = instances(resolver)
    ref = BackendRef.from_instance(consumer)
    session = backend_session(ref, emu)
    bootstrap_backend(ref, session)
    empty = {"version": 4, "terraform_version": "1.0.3", "serial": 0, "lineage": str(uuid.uuid4()), "outputs": {},
             "resources": []}
    session.client("s3").put_object(Bucket=ref.bucket, Key=ref.key, Body=json.dumps(empty).encode())
    table = session.client("dynamodb")
    info = {"ID": "held-by-test", "Operation": "OperationTypeApply", "Who": "test@holder", "Version": "1.0.3",
            "Created": "2020-01-01T00:00:00Z", "Path": ref.lock_id, "Info": ""}
    table.put_item(TableName=ref.dynamodb_table,
                   Item={"LockID": {"S": ref.lock_id}, "Info": {"S": json.dumps(info)}})
    try:
        run = child()

        def consumer_apply_waits() -> list[int]:
            assert run.proc.poll() is None, run.output
            files = ledger_files(ledger_dir)
            assert files, "no ledger yet"
            started = [e["instance"] for e in read_ledger(files[0]) if e["event"] == "apply-start"]
            assert started == ["core-ue1-root/account-map", "plat-ue1-sandbox/account-consumer"]
            applies = [pid for pid, cmd in run.children().items() if "terraform" in cmd and " apply " in f"{cmd} "]
            assert applies, "terraform apply is not running yet"
            return applies + [pid for a in applies for pid in ChildRun.descendants(a)]

        pids = eventually(consumer_apply_waits, timeout=120, interval=0.05)
        assert [x.who for x in list_locks(consumer, emu)] == ["test@holder"]
        run.signal(signal.SIGTERM)
        assert run.wait() == -signal.SIGTERM, run.output
        assert [pid for pid in pids if process_alive(pid)] == [], "terraform was left running"
        assert_nothing_left(resolver, emu, ledger_dir, workdir_root)
        assert [x.who for x in list_locks(consumer, emu)] == ["test@holder"]  # and the lock is not broken
    finally:
        table.delete_item(TableName=ref.dynamodb_table, Key={"LockID": {"S": ref.lock_id}})


def _harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)


def test_harness_cleanup_cli_destroys_what_a_killed_run_left(child: Callable[[], ChildRun], resolver: Resolver,
                                                             emu: Emulator, terraform: TerraformBinary,
                                                             ledger_dir: Path, workdir_root: Path,
                                                             repo: Path) -> None:
    run = child()
    run.wait_applied()
    run.signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL
    inspected = _harness("state", "inspect", "account-map", "-s", "core-ue1-root", "--emulator", emu.endpoint,
                         "--base-path", str(repo), "--format", "json", cwd=repo)
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["outputs"], "the killed run left account-map's outputs in state"
    dry = _harness("cleanup", "--ledger-dir", str(ledger_dir), "--terraform", terraform.path, "--dry-run", cwd=repo)
    assert "pending: core-ue1-root/account-map" in dry.stdout and dry.returncode == 0
    done = _harness("cleanup", "--ledger-dir", str(ledger_dir), "--terraform", terraform.path, "--format", "json",
                    cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["destroyed"] == ["plat-ue1-sandbox/account-consumer", "core-ue1-root/account-map"]
    assert_nothing_left(resolver, emu, ledger_dir, workdir_root)
