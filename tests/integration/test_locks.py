"""State locking in the emulator's DynamoDB: a held lock makes a second apply fail with the holder shown,
or wait for it; a stale lock is reported with holder and age, and never broken."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.atmos import Instance, Resolver
from harness.aws import Emulator, eventually
from harness.deploy import BackendRef, Deployment, StateLockedError, list_locks
from harness.deploy.workdir import Workdir
from tests.integration.helpers import ROOT_ACCOUNT, instances

MakeDeployment = Callable[..., Deployment]


@contextmanager
def held_lock(workdir: Workdir, instance: Instance, emu: Emulator) -> Iterator[subprocess.Popen[str]]:
    """A real ``terraform apply`` that holds the state lock while it waits at its approval prompt."""
    holder = workdir.popen("apply", "-input=true", "-no-color", "-var", 'tags={"Holder":"yes"}',
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        eventually(lambda: len(list_locks(instance, emu)) == 1, timeout=60, interval=0.1,
                   message="the holder to take the lock")
        yield holder
    finally:
        if holder.poll() is None:
            assert holder.stdin is not None
            holder.stdin.write("no\n")  # decline: terraform releases the lock and exits
            holder.stdin.close()
            try:
                holder.wait(timeout=60)
            except subprocess.TimeoutExpired:
                holder.kill()
                holder.wait()


def test_a_second_apply_fails_and_names_the_lock_holder(make_deployment: MakeDeployment, resolver: Resolver,
                                                        emu: Emulator) -> None:
    producer, _ = instances(resolver)
    first, second = make_deployment(), make_deployment()
    with first, second:
        first.apply(producer)
        with held_lock(first.workdir(producer), producer, emu):
            [lock] = list_locks(producer, emu)
            assert lock.operation == "OperationTypeApply" and not lock.stale
            assert lock.path == BackendRef.from_instance(producer).lock_id
            with pytest.raises(StateLockedError) as info:
                second.apply(producer, lock_timeout="0s")
            assert info.value.holder["ID"] == lock.id
            assert info.value.holder["Who"] == lock.who
            assert f"the state is locked by {lock.who} (OperationTypeApply" in str(info.value)
            assert "never breaks locks" in str(info.value)
        eventually(lambda: list_locks(producer, emu) == [], timeout=60, interval=0.1)


def test_a_second_apply_waits_for_the_lock(make_deployment: MakeDeployment, resolver: Resolver,
                                           emu: Emulator) -> None:
    producer, _ = instances(resolver)
    first, second = make_deployment(), make_deployment()
    with first, second:
        first.apply(producer)
        with held_lock(first.workdir(producer), producer, emu) as holder:
            [lock] = list_locks(producer, emu)
            waiter = second.workdir(producer).popen("apply", "-auto-approve", "-input=false", "-no-color",
                                                    "-lock-timeout=120s", "-var", 'tags={"Waiter":"yes"}')
            lines: list[str] = []
            reader = threading.Thread(target=lambda: lines.extend(waiter.stdout or []), daemon=True)
            reader.start()
            try:
                eventually(lambda: "Acquiring state lock" in "".join(lines), timeout=60, interval=0.05)
                # The waiter has asked for the lock, and the holder still has it: the waiter is waiting.
                assert [x.id for x in list_locks(producer, emu)] == [lock.id]
                assert waiter.poll() is None
                assert holder.stdin is not None
                holder.stdin.write("yes\n")
                holder.stdin.flush()
                assert holder.wait(timeout=120) == 0
                assert waiter.wait(timeout=120) == 0, "".join(lines)
            finally:
                if waiter.poll() is None:
                    waiter.kill()
                    waiter.wait()
                reader.join(timeout=30)
        # Both applied, the waiter last.
        assert first.outputs(producer)["context_tags"]["Waiter"] == "yes"
        assert "Holder" not in first.outputs(producer)["context_tags"]
        assert list_locks(producer, emu) == []


def test_a_stale_lock_is_reported_and_left_alone(make_deployment: MakeDeployment, resolver: Resolver,
                                                 emu: Emulator) -> None:
    producer, _ = instances(resolver)
    ref = BackendRef.from_instance(producer)
    with make_deployment() as deployment:
        deployment.apply(producer)
        table = emu.session(account_id=ROOT_ACCOUNT).client("dynamodb")
        created = datetime.now(UTC) - timedelta(hours=3)
        info = {"ID": "1b6a5c5e-0000-4000-8000-000000000001", "Operation": "OperationTypeApply", "Info": "",
                "Who": "ci@crashed-runner", "Version": "1.0.3", "Path": ref.lock_id,
                "Created": created.strftime("%Y-%m-%dT%H:%M:%S.%f123Z")}
        fresh = dict(info, ID="fresh", Who="dev@laptop", Path=f"{ref.bucket}/other/terraform.tfstate",
                     Created=datetime.now(UTC).isoformat())
        table.put_item(TableName=ref.dynamodb_table,
                       Item={"LockID": {"S": ref.lock_id}, "Info": {"S": json.dumps(info)}})
        table.put_item(TableName=ref.dynamodb_table, Item={"LockID": {"S": fresh["Path"]},
                                                           "Info": {"S": json.dumps(fresh)}})
        try:
            locks = list_locks(producer, emu, stale_after=timedelta(hours=1))
            assert [(x.who, x.stale) for x in locks] == [("ci@crashed-runner", True), ("dev@laptop", False)]
            stale = locks[0]
            assert stale.operation == "OperationTypeApply" and stale.path == ref.lock_id
            assert stale.age is not None and timedelta(hours=3) <= stale.age < timedelta(hours=3, minutes=5)
            assert stale.created is not None and abs(stale.created - created) < timedelta(milliseconds=1)
            assert [x.who for x in list_locks(producer, emu, only_instance=True)] == ["ci@crashed-runner"]
            with pytest.raises(StateLockedError, match="locked by ci@crashed-runner"):
                deployment.apply(producer, lock_timeout="0s")
            # Reported, never removed.
            assert len(list_locks(producer, emu)) == 2
        finally:
            for lock_id in (ref.lock_id, fresh["Path"]):
                table.delete_item(TableName=ref.dynamodb_table, Key={"LockID": {"S": lock_id}})


def test_harness_state_locks_cli_flags_the_stale_lock(make_deployment: MakeDeployment, resolver: Resolver,
                                                      emu: Emulator, repo: Path) -> None:
    producer, _ = instances(resolver)
    ref = BackendRef.from_instance(producer)
    table = emu.session(account_id=ROOT_ACCOUNT).client("dynamodb")
    with make_deployment() as deployment:
        deployment.apply(producer)
        created = datetime.now(UTC) - timedelta(hours=5)
        info = {"ID": "dead-runner", "Operation": "OperationTypeApply", "Who": "ci@crashed-runner",
                "Version": "1.0.3", "Path": ref.lock_id, "Created": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        table.put_item(TableName=ref.dynamodb_table,
                       Item={"LockID": {"S": ref.lock_id}, "Info": {"S": json.dumps(info)}})
        try:
            proc = subprocess.run([sys.executable, "-m", "harness", "state", "locks", "-s", "core-ue1-root",
                                   "--emulator", emu.endpoint, "--stale-after", "2h", "--base-path", str(repo)],
                                  cwd=repo, capture_output=True, text=True, timeout=300, check=False)
            assert proc.returncode == 0, proc.stderr
            assert f"STALE {ref.lock_id}: held by ci@crashed-runner for OperationTypeApply" in proc.stdout
            assert "1 stale (older than 2h); none was changed" in proc.stderr
            assert len(table.scan(TableName=ref.dynamodb_table)["Items"]) >= 1  # still there
        finally:
            table.delete_item(TableName=ref.dynamodb_table, Key={"LockID": {"S": ref.lock_id}})
