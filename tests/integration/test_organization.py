"""The example organization deployed with real terraform and hashicorp/aws into the embedded emulator, then
destroyed leaving nothing behind.

By default a representative subset: every component of the example, each in one of its stacks (five accounts,
producers before consumers, outputs through remote state and ``!terraform.output``). ``HARNESS_FULL_ORG=1``
deploys every deployable instance of the organization (all 30; it takes several times longer).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.atmos import Instance, Resolver
from harness.aws import Emulator
from harness.deploy import Deployment
from harness.deploy.graph import dependency_ids
from harness.tools import TerraformBinary, satisfies
from tests.integration.helpers import REPO
from tests.integration.organization import EXTRA_VARS, NOT_DEPLOYABLE, UNSERVED, organization_targets

MakeDeployment = Callable[..., Deployment]

MOTO_DYNAMODB_KEY = "Default master key that protects my DynamoDB table storage"


def _leftovers(emu: Emulator, instances: list[Instance]) -> list[str]:
    """Resources the example's components create that still exist in the instances' accounts and regions."""
    found: list[str] = []
    seen: set[tuple[str, str]] = set()
    for instance in instances:
        ec2 = emu.client("ec2", stack=instance)
        account = emu.client("sts", stack=instance).get_caller_identity()["Account"]
        key = (account, ec2.meta.region_name)
        if key in seen:
            continue
        seen.add(key)
        where = f"{account}/{key[1]}"
        found += [f"{where} vpc {v['VpcId']}" for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
        found += [f"{where} security group {g['GroupId']}" for g in ec2.describe_security_groups()["SecurityGroups"]
                  if g["GroupName"] != "default"]
        found += [f"{where} eip {a['AllocationId']}" for a in ec2.describe_addresses()["Addresses"]]
        s3 = emu.client("s3", stack=instance)
        found += [f"{where} bucket {b['Name']}" for b in s3.list_buckets()["Buckets"]
                  if not b["Name"].endswith("-tfstate")]
        kms = emu.client("kms", stack=instance)
        aliases = kms.list_aliases()["Aliases"]
        # AWS managed keys (made by a service, never deletable) are no leftover. moto calls them CUSTOMER: the
        # one for a DynamoDB table encrypted without a key id (this description), and those behind the
        # reserved alias/aws/* names, made the first time something names such an alias.
        managed = {a.get("TargetKeyId") for a in aliases if a["AliasName"].startswith("alias/aws/")}
        for key_ref in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key_ref["KeyId"])["KeyMetadata"]
            service_key = (meta.get("KeyManager") == "AWS" or meta.get("Description") == MOTO_DYNAMODB_KEY
                           or key_ref["KeyId"] in managed)
            if meta["KeyState"] != "PendingDeletion" and not service_key:
                found.append(f"{where} kms key {key_ref['KeyId']} ({meta['KeyState']}, {meta.get('KeyManager')}, "
                             f"{meta.get('Description')!r})")
        found += [f"{where} kms alias {a['AliasName']}" for a in aliases
                  if not a["AliasName"].startswith("alias/aws/")]
        found += [f"{where} role {r['RoleName']}" for r in emu.client("iam", stack=instance).list_roles()["Roles"]]
        found += [f"{where} detector {d}" for d in emu.client("guardduty", stack=instance).list_detectors()[
            "DetectorIds"]]
        dynamodb = emu.client("dynamodb", stack=instance)
        found += [f"{where} table {t}" for t in dynamodb.list_tables()["TableNames"] if not t.endswith("-tfstate-lock")]
    return found


def test_the_organization_deploys_in_order_across_accounts_and_leaves_nothing(
        aws_provider: None, make_deployment: MakeDeployment, resolver: Resolver, emu: Emulator,
        terraform: TerraformBinary) -> None:
    if not satisfies(terraform.version, ">= 1.3"):
        pytest.skip(f"iam-role and security-group need Terraform >= 1.3; the test binary is {terraform}")
    targets = organization_targets(resolver)
    print(f"not deployed into {emu.kind}: " + "; ".join(f"{k}: {v}" for k, v in NOT_DEPLOYABLE.items()))
    example = {p.name for p in (REPO / "components" / "terraform").iterdir() if p.is_dir()}
    assert {i.folder for i in targets} | set(NOT_DEPLOYABLE) == example  # every component of the example
    with make_deployment() as deployment:
        extra = {i.id: EXTRA_VARS[i.folder] for i in targets if i.folder in EXTRA_VARS}
        results = deployment.deploy(targets, with_dependencies=True, extra_vars=extra, skip_unserved=True)
        by_id = {r.instance_id: r for r in results}
        ids = [r.instance_id for r in results]
        # What moto cannot serve is reported with its reason, and it is exactly the known gaps.
        unserved = {u.instance_id: u.reason for u in deployment.unserved}
        expected = {i.id for i in targets if i.folder in UNSERVED}
        assert set(unserved) == expected, unserved
        for instance_id, reason in unserved.items():
            assert UNSERVED[instance_id.split("/", 1)[1].split("/")[0]] in reason, reason
        deployed = {i.id for i in targets} - expected
        assert deployed <= set(by_id), sorted(deployed - set(by_id))
        # Producers first: log-bucket before vpc before its security groups; account-map before iam roles.
        for instance in targets:
            for producer in dependency_ids(instance):
                if instance.id in by_id and producer in by_id:
                    assert ids.index(producer) < ids.index(instance.id), (producer, instance.id)
        assert ids.index("core-ue1-log-archive/log-bucket") < ids.index("plat-ue1-dev/vpc") < ids.index(
            "plat-ue1-dev/security-group/web")
        assert ids.index("core-ue1-root/account-map") < ids.index("plat-ue1-dev/iam-role/ci-deployer")
        # Outputs flow: !terraform.output and remote state give consumers the producers' real values.
        vpc = by_id["plat-ue1-dev/vpc"]
        assert by_id["plat-ue1-dev/security-group/web"].variables["vpc_id"] == vpc.outputs["vpc_id"]
        log_bucket = by_id["core-ue1-log-archive/log-bucket"].outputs
        assert log_bucket["bucket_arn"] in str(vpc.variables)
        cicd = by_id["core-ue1-root/account-map"].outputs["cicd_principal_arns"]
        assert str(cicd[0] if isinstance(cicd, list) else cicd) in str(
            by_id["plat-ue1-dev/iam-role/ci-deployer"].variables)
        # Each stack deployed into its own account (assume-role per stack).
        dev = resolver.instance("vpc", "plat-ue1-dev")
        assert vpc.outputs["vpc_id"] in [v["VpcId"] for v in emu.client("ec2", stack=dev).describe_vpcs()["Vpcs"]]
        root_vpcs = emu.client("ec2", account_id="444444444444", region="us-east-1").describe_vpcs()["Vpcs"]
        assert vpc.outputs["vpc_id"] not in [v["VpcId"] for v in root_vpcs]
        security = resolver.instance("guardduty", "core-ue1-security")
        assert set(by_id) & {i.id for i in targets if i.folder in UNSERVED} == set()
        assert emu.client("guardduty", stack=security).list_detectors()["DetectorIds"]
        archive = resolver.instance("log-bucket", "core-ue1-log-archive")
        assert log_bucket["bucket_id"] in [b["Name"] for b in emu.client("s3", stack=archive).list_buckets()["Buckets"]]
        assert _leftovers(emu, targets), "the deploy created nothing the leftover check can see"
    # make_deployment checks no state, lock, ledger or working copy is left; here: no resource either.
    assert deployment.applied == []
    assert _leftovers(emu, targets) == []
