"""Real terraform applies into the emulator: S3 backend + DynamoDB lock, outputs across stacks and
accounts, dependency order, backups, and the source tree left untouched."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.atmos import Resolver
from harness.aws import Emulator
from harness.deploy import (
    DependencyCycle,
    Deployment,
    TerraformError,
    inspect_state,
    instance_backups,
    list_locks,
    read_ledger,
    sweep,
)
from harness.errors import HarnessError
from harness.tools import TerraformBinary
from tests.integration.helpers import (
    FIXTURES,
    REPO,
    ROOT_ACCOUNT,
    SANDBOX_ACCOUNT,
    consumer_vars,
    generated_files,
    instances,
)

MakeDeployment = Callable[..., Deployment]


def test_account_map_applies_with_s3_backend_and_lock_table(make_deployment: MakeDeployment, resolver: Resolver,
                                                            emu: Emulator, terraform: TerraformBinary) -> None:
    producer, _ = instances(resolver)
    with make_deployment() as deployment:
        [result] = deployment.deploy(["account-map"], stack="core-ue1-root")
        assert result.outputs["root_account_id"] == ROOT_ACCOUNT
        assert result.outputs["region_code"] == "ue1"
        assert result.backend.key == "account-map/core-ue1-root/terraform.tfstate"
        # The state object is where Atmos says, in the backend's account (role_arn of the backend).
        info = inspect_state(producer, emu)
        assert info is not None and info.serial is not None and info.serial >= 1
        assert info.outputs["account_ids"]["core-root"] == ROOT_ACCOUNT
        assert info.terraform_version == terraform.version and info.lineage and info.size > 0
        root = emu.session(account_id=ROOT_ACCOUNT)
        assert [b["Name"] for b in root.client("s3").list_buckets()["Buckets"]] == ["acme-core-ue1-root-tfstate"]
        assert root.client("dynamodb").list_tables()["TableNames"] == ["acme-core-ue1-root-tfstate-lock"]
        # terraform took and released the lock: only its digest row remains, no lock.
        digest = root.client("dynamodb").scan(TableName="acme-core-ue1-root-tfstate-lock")["Items"]
        assert [i["LockID"]["S"] for i in digest] == [f"acme-core-ue1-root-tfstate/{result.backend.key}-md5"]
        assert list_locks(producer, emu) == []
        # The run ledger recorded the apply with the emulator endpoint.
        [ledger] = list(deployment.ledger.directory.glob("*.jsonl"))
        starts = [e for e in read_ledger(ledger) if e["event"] == "apply-start"]
        assert starts[0]["spec"]["emulator"]["endpoint"] == emu.endpoint
    info = inspect_state(producer, emu)
    assert info is not None and info.empty


def test_outputs_flow_across_stacks_and_accounts(make_deployment: MakeDeployment, resolver: Resolver,
                                                  emu: Emulator, terraform: TerraformBinary) -> None:
    producer, consumer = instances(resolver)
    with make_deployment() as deployment:
        made = deployment.deploy(["account-map"], stack="core-ue1-root")
        [result] = deployment.deploy(["account-consumer"], stack="plat-ue1-sandbox",
                                     extra_vars=consumer_vars(resolver, emu, terraform))
        produced = made[0].outputs
        # !terraform.output values were resolved from the producer's real state ...
        assert result.variables["account_ids"] == produced["account_ids"]
        assert result.variables["root_account_id"] == ROOT_ACCOUNT
        # ... and agree with what terraform_remote_state reads through the S3 backend.
        assert result.outputs["remote_root_account_id"] == ROOT_ACCOUNT
        assert result.outputs["remote_account_ids"] == produced["account_ids"]
        assert result.outputs["inputs_match_remote_state"] is True
        # Producer and consumer keep state in different accounts, each invisible from the other.
        root, sandbox = emu.session(account_id=ROOT_ACCOUNT), emu.session(account_id=SANDBOX_ACCOUNT)
        assert [b["Name"] for b in root.client("s3").list_buckets()["Buckets"]] == ["acme-core-ue1-root-tfstate"]
        assert [b["Name"] for b in sandbox.client("s3").list_buckets()["Buckets"]] == [
            "acme-plat-ue1-sandbox-tfstate"]
        assert sandbox.client("dynamodb").list_tables()["TableNames"] == ["acme-plat-ue1-sandbox-tfstate-lock"]
        state = inspect_state(consumer, emu)
        assert state is not None
        assert [r.address for r in state.resources] == ["data.terraform_remote_state.account_map"]
        assert {(x.bucket, x.resources) for x in sweep([producer, consumer], emu)} == {
            ("acme-core-ue1-root-tfstate", 0), ("acme-plat-ue1-sandbox-tfstate", 1)}
    assert sweep([producer, consumer], emu) == []


def test_dependencies_are_applied_first_and_destroyed_last(make_deployment: MakeDeployment, resolver: Resolver,
                                                           emu: Emulator, terraform: TerraformBinary) -> None:
    deployment = make_deployment()
    with deployment:
        results = deployment.deploy(["account-consumer"], stack="plat-ue1-sandbox", with_dependencies=True,
                                    extra_vars=consumer_vars(resolver, emu, terraform))
        assert [r.instance_id for r in results] == ["core-ue1-root/account-map", "plat-ue1-sandbox/account-consumer"]
    assert deployment.last_teardown is not None
    assert [r.instance_id for r in deployment.last_teardown.destroyed] == [
        "plat-ue1-sandbox/account-consumer", "core-ue1-root/account-map"]


def test_a_consumer_without_its_producer_state_is_a_clear_error(make_deployment: MakeDeployment,
                                                                resolver: Resolver, emu: Emulator,
                                                                terraform: TerraformBinary) -> None:
    with make_deployment() as deployment, pytest.raises(HarnessError, match=r"core-ue1-root/account-map has no state"):
        deployment.deploy(["account-consumer"], stack="plat-ue1-sandbox",
                          extra_vars=consumer_vars(resolver, emu, terraform))


def test_a_dependency_cycle_is_refused_before_anything_runs(make_deployment: MakeDeployment) -> None:
    with make_deployment() as deployment:
        with pytest.raises(DependencyCycle) as info:
            deployment.deploy(["cycle-a", "cycle-b"], stack="plat-ue1-sandbox")
        a, b = "plat-ue1-sandbox/cycle-a", "plat-ue1-sandbox/cycle-b"
        assert info.value.cycle == [a, b, a]
        assert "dependency cycle: plat-ue1-sandbox/cycle-a -> plat-ue1-sandbox/cycle-b" in str(info.value)
        assert deployment.applied == []


def test_every_apply_and_destroy_is_preceded_by_a_backup(make_deployment: MakeDeployment, resolver: Resolver,
                                                         emu: Emulator) -> None:
    producer, _ = instances(resolver)
    deployment = make_deployment()
    with deployment:
        first = deployment.apply(producer)
        second = deployment.apply(producer, extra_vars={"tags": {"CostCenter": "CC-1000", "Run": "second"}})
        assert second.outputs["context_tags"]["Run"] == "second"
    backups = deployment.backups
    assert [b.reason for b in backups] == ["apply", "apply", "destroy"]
    assert first.backup == backups[0] and second.backup == backups[1]
    assert deployment.last_teardown is not None and deployment.last_teardown.backups == [backups[2]]
    stored = instance_backups(producer, emu)
    assert stored == [b.backup_key for b in backups]
    assert all(k.startswith("account-map/core-ue1-root/terraform.tfstate.backup/") for k in stored)
    # Each backup is the state as it was just before the change: serials go up, the last one holds outputs.
    s3 = emu.session(account_id=ROOT_ACCOUNT).client("s3")
    serials = [json.loads(s3.get_object(Bucket=b.bucket, Key=b.backup_key)["Body"].read())["serial"] for b in backups]
    assert serials == sorted(serials) and len(set(serials)) == 3
    last = json.loads(s3.get_object(Bucket=backups[2].bucket, Key=backups[2].backup_key)["Body"].read())
    assert last["outputs"]["context_tags"]["value"]["Run"] == "second"


def test_a_failed_apply_still_tears_down_what_was_applied(make_deployment: MakeDeployment, resolver: Resolver,
                                                          emu: Emulator, terraform: TerraformBinary) -> None:
    producer, consumer = instances(resolver)
    broken = consumer_vars(resolver, emu, terraform)
    broken["account-consumer"]["account_map_backend"]["bucket"] = "no-such-state-bucket"
    deployment = make_deployment()
    with pytest.raises(TerraformError, match="plat-ue1-sandbox/account-consumer: terraform apply failed"), deployment:
        deployment.deploy(["account-consumer"], stack="plat-ue1-sandbox", with_dependencies=True, extra_vars=broken)
    assert deployment.last_teardown is not None and deployment.last_teardown.ok
    assert sweep([producer, consumer], emu) == []


def test_the_source_tree_is_never_written(make_deployment: MakeDeployment, resolver: Resolver, emu: Emulator,
                                          terraform: TerraformBinary) -> None:
    folders = [REPO / "components" / "terraform" / "account-map",
               FIXTURES / "components" / "terraform" / "account-consumer"]
    before = {f: sorted(p.name for p in f.iterdir()) for f in folders}
    with make_deployment() as deployment:
        results = deployment.deploy(["account-consumer"], stack="plat-ue1-sandbox", with_dependencies=True,
                                    extra_vars=consumer_vars(resolver, emu, terraform))
        for result in results:
            assert not Path(result.workdir).is_relative_to(REPO)
            assert (Path(result.workdir) / "harness_backend.tf.json").is_file()
            assert (Path(result.workdir) / "terraform.tfvars.json").is_file()
        for folder in folders:
            assert generated_files(folder) == []
    assert {f: sorted(p.name for p in f.iterdir()) for f in folders} == before
