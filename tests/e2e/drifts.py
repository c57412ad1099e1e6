"""Deliberate drifts, one per check, each on a named instance, and the checks each must fail.

A drift is either made at seed time (``seed`` overrides, or ``seed=None``: the resource is missing) or
applied to a compliant seed (``apply``). Values are derived from the instance's inputs, so drifts
follow the stack config. ``schedule`` packs drifts into rounds that share one emulator world: an
instance appears at most once per round and no round holds both an instance and one of its producers,
so every failure is attributable to exactly one drift.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.atmos import Instance, Resolver
from harness.verify.cidr import cidrsubnet
from tests.e2e.seed import (
    Seeder,
    context_tags,
    guardduty_features,
    ident,
    log_delivery_policy,
    tag_list,
    trust_document,
)

Apply = Callable[[Seeder, Instance, dict[str, Any], dict[str, Any]], None]


@dataclass(frozen=True)
class Drift:
    stack: str
    component: str
    name: str
    fails: frozenset[str]
    seed: dict[str, Any] | None = field(default_factory=dict)
    apply: Apply | None = None

    @property
    def id(self) -> str:
        return f"{self.component}@{self.stack}:{self.name}"

    @property
    def instance_id(self) -> str:
        return f"{self.stack}/{self.component}"


def drift(stack: str, component: str, name: str, *fails: str, seed: dict[str, Any] | None = None,
          missing: bool = False, apply: Apply | None = None) -> Drift:
    return Drift(stack, component, name, frozenset(fails), None if missing else dict(seed or {}), apply)


# -- vpc --------------------------------------------------------------------------------------------------
def _ec2(s: Seeder, inst: Instance) -> Any:
    return s.client(inst, "ec2")


def vpc_extra_subnet(tier: str, slot: int) -> Apply:
    """A subnet made by hand: tagged as ``tier``, or (``tier`` empty) not tagged at all."""
    def apply(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
        tags = {**context_tags(v, f"{ident(v)}-{tier}-extra"), "Tier": tier} if tier else {"Owner": "someone"}
        _ec2(s, inst).create_subnet(VpcId=o["vpc_id"], AvailabilityZone=v["availability_zones"][0],
                                    CidrBlock=cidrsubnet(v["cidr_block"], v["subnet_newbits"], slot),
                                    TagSpecifications=[{"ResourceType": "subnet", "Tags": tag_list(tags)}])
    return apply


def vpc_no_dns_hostnames(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).modify_vpc_attribute(VpcId=o["vpc_id"], EnableDnsHostnames={"Value": False})


def vpc_untag(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).delete_tags(Resources=[o["vpc_id"]], Tags=[{"Key": "CostCenter"}])


def vpc_public_ip(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).modify_subnet_attribute(SubnetId=o["public_subnet_ids"][0], MapPublicIpOnLaunch={"Value": True})


def vpc_extra_nat(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    ec2 = _ec2(s, inst)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=o["public_subnet_ids"][-1], AllocationId=allocation)


def vpc_cross_az_route(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).replace_route(RouteTableId=o["private_route_table_ids"][-1], DestinationCidrBlock="0.0.0.0/0",
                                NatGatewayId=o["nat_gateway_ids"][0])


def vpc_no_private_route(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).delete_route(RouteTableId=o["private_route_table_ids"][-1], DestinationCidrBlock="0.0.0.0/0")


def vpc_no_public_route(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).delete_route(RouteTableId=o["public_route_table_id"], DestinationCidrBlock="0.0.0.0/0")


def vpc_endpoint_detached(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).modify_vpc_endpoint(VpcEndpointId=o["s3_gateway_endpoint_id"],
                                      RemoveRouteTableIds=[o["private_route_table_ids"][-1]])


def vpc_flow_logs_reject(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    ec2 = _ec2(s, inst)
    ec2.delete_flow_logs(FlowLogIds=[o["flow_log_id"]])
    ec2.create_flow_logs(ResourceIds=[o["vpc_id"]], ResourceType="VPC", TrafficType="REJECT",
                         LogDestinationType="s3", LogDestination=v["flow_logs_bucket_arn"],
                         MaxAggregationInterval=int(v["flow_logs_max_aggregation_interval"]))


def vpc_default_sg_rule(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).authorize_security_group_ingress(GroupId=o["default_security_group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


# -- security-group ------------------------------------------------------------------------------------
def sg_untag(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).delete_tags(Resources=[o["security_group_id"]], Tags=[{"Key": "ManagedBy"}])


def sg_extra_ingress(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).authorize_security_group_ingress(GroupId=o["security_group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
         "IpRanges": [{"CidrIp": "10.255.0.0/16", "Description": "added by hand"}]}])


def sg_no_egress(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    ec2 = _ec2(s, inst)
    group = ec2.describe_security_groups(GroupIds=[o["security_group_id"]])["SecurityGroups"][0]
    ec2.revoke_security_group_egress(GroupId=o["security_group_id"], IpPermissions=group["IpPermissionsEgress"])


def sg_open_to_world(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _ec2(s, inst).authorize_security_group_ingress(GroupId=o["security_group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "temporary"}]}])


# -- iam-role ------------------------------------------------------------------------------------------
def _iam(s: Seeder, inst: Instance) -> Any:
    return s.client(inst, "iam")


def iam_trust(change: Callable[[dict[str, Any]], None]) -> Apply:
    def apply(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
        document = trust_document(v)
        change(document)
        _iam(s, inst).update_assume_role_policy(RoleName=o["role_name"], PolicyDocument=json.dumps(document))
    return apply


def _add_principal(doc: dict[str, Any]) -> None:
    doc["Statement"].append({"Effect": "Allow", "Action": ["sts:AssumeRole"],
                             "Principal": {"AWS": ["arn:aws:iam::999999999999:root"]}})


def _drop_conditions(doc: dict[str, Any]) -> None:
    for statement in doc["Statement"]:
        statement.pop("Condition", None)


def _swap_actions(doc: dict[str, Any]) -> None:
    for statement in doc["Statement"]:
        statement["Action"] = ["sts:AssumeRole"]


def iam_admin(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _iam(s, inst).attach_role_policy(RoleName=o["role_name"], PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def iam_inline(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _iam(s, inst).put_role_policy(RoleName=o["role_name"], PolicyName="hotfix", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))


def iam_no_boundary(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _iam(s, inst).delete_role_permissions_boundary(RoleName=o["role_name"])


def iam_long_sessions(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    # moto's UpdateRole clears what is not passed: pass both, one drifted
    _iam(s, inst).update_role(RoleName=o["role_name"], MaxSessionDuration=43200, Description=v["description"])


def iam_description(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _iam(s, inst).update_role(RoleName=o["role_name"], Description="changed in the console",
                              MaxSessionDuration=int(v["max_session_duration"]))


def iam_untag(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _iam(s, inst).untag_role(RoleName=o["role_name"], TagKeys=["ManagedBy"])


# -- buckets, keys, lock table -------------------------------------------------------------------------
def _s3(s: Seeder, inst: Instance) -> Any:
    return s.client(inst, "s3")


def suspend_versioning(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _s3(s, inst).put_bucket_versioning(Bucket=o["bucket_id"], VersioningConfiguration={"Status": "Suspended"})


def aes256(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _s3(s, inst).put_bucket_encryption(Bucket=o["bucket_id"], ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})


def public_policy_allowed(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _s3(s, inst).put_public_access_block(Bucket=o["bucket_id"], PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})


def object_writer(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _s3(s, inst).put_bucket_ownership_controls(Bucket=o["bucket_id"], OwnershipControls={
        "Rules": [{"ObjectOwnership": "ObjectWriter"}]})


def no_bucket_policy(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _s3(s, inst).delete_bucket_policy(Bucket=o["bucket_id"])


def no_rotation(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    s.client(inst, "kms").disable_key_rotation(KeyId=o["kms_key_arn"].rsplit("/", 1)[-1])


def key_deleted(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    s.client(inst, "kms").schedule_key_deletion(KeyId=o["kms_key_arn"].rsplit("/", 1)[-1], PendingWindowInDays=7)


def no_pitr(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    s.client(inst, "dynamodb").update_continuous_backups(
        TableName=o["dynamodb_table_name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})


def no_deletion_protection(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    s.client(inst, "dynamodb").update_table(TableName=o["dynamodb_table_name"], DeletionProtectionEnabled=False)


def delivery_account_dropped(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    accounts = [str(a) for a in v["source_account_ids"]][:-1]
    _s3(s, inst).put_bucket_policy(Bucket=o["bucket_id"], Policy=json.dumps(log_delivery_policy(o["bucket_id"],
                                                                                               accounts)))


def tls_statement_dropped(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    policy = log_delivery_policy(o["bucket_id"], [str(a) for a in v["source_account_ids"]])
    policy["Statement"] = [st for st in policy["Statement"] if st.get("Sid") != "DenyInsecureTransport"]
    _s3(s, inst).put_bucket_policy(Bucket=o["bucket_id"], Policy=json.dumps(policy))


def short_retention(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    _s3(s, inst).put_bucket_lifecycle_configuration(Bucket=o["bucket_id"], LifecycleConfiguration={"Rules": [
        {"ID": "archive-then-expire", "Status": "Enabled", "Filter": {},
         "Transitions": [{"Days": int(v["glacier_transition_days"]), "StorageClass": "GLACIER"}],
         "Expiration": {"Days": 30}}]})


# -- guardduty, securityhub, budgets -------------------------------------------------------------------
def gd_update(**change: Any) -> Apply:
    def apply(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
        s.client(inst, "guardduty").update_detector(DetectorId=o["detector_id"], **change)
    return apply


def gd_feature_flipped(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    first = next(iter(v["features"]))
    s.client(inst, "guardduty").update_detector(DetectorId=o["detector_id"],
                                                Features=guardduty_features(v, flip=first))


def hub_disabled(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    s.client(inst, "securityhub").disable_security_hub()


def notification_deleted(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> None:
    budgets = s.client(inst, "budgets", region="us-east-1")
    account, name = o["budget_id"].split(":", 1)
    first = v["notifications"][0]
    budgets.delete_notification(AccountId=account, BudgetName=name, Notification={
        "NotificationType": first["notification_type"], "ComparisonOperator": "GREATER_THAN",
        "Threshold": float(first["threshold_percent"]), "ThresholdType": "PERCENTAGE"})


def bucket_drifts(stack: str, component: str, prefix: str, *, tls: Apply) -> list[Drift]:
    """The shared bucket and key checks (components/s3.py), one drift each."""
    return [
        drift(stack, component, "bucket-missing", f"{prefix}.bucket.exists", seed={"bucket": False}),
        drift(stack, component, "versioning-suspended", f"{prefix}.bucket.versioning", apply=suspend_versioning),
        drift(stack, component, "sse-s3", f"{prefix}.bucket.encryption", apply=aes256),
        drift(stack, component, "public-policy-allowed", f"{prefix}.bucket.public_access_block",
              apply=public_policy_allowed),
        drift(stack, component, "object-writer", f"{prefix}.bucket.ownership", apply=object_writer),
        drift(stack, component, "tls-not-enforced", f"{prefix}.bucket.tls_only", apply=tls),
        drift(stack, component, "rotation-off", f"{prefix}.kms.rotation", apply=no_rotation),
        drift(stack, component, "key-deleted", f"{prefix}.kms.exists", apply=key_deleted),
    ]


DEV, STAGING, PROD, UW2 = "plat-ue1-dev", "plat-ue1-staging", "plat-ue1-prod", "plat-uw2-prod"
NETWORK, ROOT, SECURITY, LOGS, GLOBAL = ("core-ue1-network", "core-ue1-root", "core-ue1-security",
                                         "core-ue1-log-archive", "core-gbl-root")
WEB, BASTION = "security-group/web", "security-group/bastion"
READ_ONLY, DEPLOYER, RUNNER = "iam-role/read-only", "iam-role/ci-deployer", "iam-role/ci-runner"
TF, SG, ROLE = "tfstate_backend", "security_group", "iam_role"

DRIFTS: list[Drift] = [
    # vpc: single NAT (dev, staging, network) and per-AZ NAT (prod, uw2-prod) stacks
    drift(DEV, "vpc", "missing", "vpc.exists", missing=True),
    drift(PROD, "vpc", "cidr", "vpc.cidr", seed={"vpc_cidr": "10.99.0.0/16"}),
    drift(STAGING, "vpc", "dns-hostnames-off", "vpc.dns", apply=vpc_no_dns_hostnames),
    drift(NETWORK, "vpc", "tag-removed", "vpc.tags", apply=vpc_untag),
    drift(UW2, "vpc", "extra-public-subnet", "vpc.subnets.public", apply=vpc_extra_subnet("public", 8)),
    drift(DEV, "vpc", "extra-private-subnet", "vpc.subnets.private", apply=vpc_extra_subnet("private", 9)),
    drift(STAGING, "vpc", "untagged-subnet", "vpc.subnets.other", apply=vpc_extra_subnet("", 10)),
    drift(PROD, "vpc", "public-ip-on-launch", "vpc.subnets.map_public_ip", apply=vpc_public_ip),
    drift(DEV, "vpc", "second-nat", "vpc.nat.gateways", apply=vpc_extra_nat),
    drift(PROD, "vpc", "cross-az-nat-route", "vpc.nat.routes", apply=vpc_cross_az_route),
    drift(STAGING, "vpc", "private-route-removed", "vpc.nat.routes", apply=vpc_no_private_route),
    drift(NETWORK, "vpc", "public-route-removed", "vpc.public_routes", apply=vpc_no_public_route),
    drift(UW2, "vpc", "endpoint-detached", "vpc.s3_endpoint", apply=vpc_endpoint_detached),
    drift(STAGING, "vpc", "flow-logs-reject-only", "vpc.flow_logs", apply=vpc_flow_logs_reject),
    drift(NETWORK, "vpc", "default-sg-rule", "vpc.default_security_group", apply=vpc_default_sg_rule),
    # security-group
    drift(DEV, WEB, "missing", f"{SG}.exists", missing=True),
    drift(PROD, WEB, "description", f"{SG}.description", seed={"description": "changed by hand"}),
    drift(STAGING, WEB, "other-vpc", f"{SG}.vpc", seed={"vpc_id_from": "other"}),
    drift(UW2, WEB, "tag-removed", f"{SG}.tags", apply=sg_untag),
    drift(DEV, BASTION, "extra-ingress", f"{SG}.rules.ingress", apply=sg_extra_ingress),
    drift(PROD, BASTION, "egress-revoked", f"{SG}.rules.egress", apply=sg_no_egress),
    drift(NETWORK, BASTION, "open-to-world", f"{SG}.rules.ingress", f"{SG}.open_ingress", apply=sg_open_to_world),
    # iam-role
    drift(DEV, READ_ONLY, "missing", f"{ROLE}.exists", missing=True),
    drift(STAGING, READ_ONLY, "extra-principal", f"{ROLE}.trust_principals", apply=iam_trust(_add_principal)),
    drift(PROD, READ_ONLY, "mfa-condition-dropped", f"{ROLE}.trust_conditions", apply=iam_trust(_drop_conditions)),
    drift(GLOBAL, RUNNER, "trust-action", f"{ROLE}.trust_actions", apply=iam_trust(_swap_actions)),
    drift(DEV, DEPLOYER, "admin-attached", f"{ROLE}.managed_policies", apply=iam_admin),
    drift(STAGING, DEPLOYER, "inline-added", f"{ROLE}.inline_policies", apply=iam_inline),
    drift(PROD, DEPLOYER, "boundary-removed", f"{ROLE}.permissions_boundary", apply=iam_no_boundary),
    drift(DEV, READ_ONLY, "long-sessions", f"{ROLE}.max_session_duration", apply=iam_long_sessions),
    drift(STAGING, READ_ONLY, "path", f"{ROLE}.path", seed={"path": "/drifted/"}),
    drift(PROD, READ_ONLY, "description", f"{ROLE}.description", apply=iam_description),
    drift(GLOBAL, RUNNER, "tag-removed", f"{ROLE}.tags", apply=iam_untag),
    # tfstate-backend and log-bucket (one instance each: one round per drift)
    drift(ROOT, "tfstate-backend", "compliant"),
    *bucket_drifts(ROOT, "tfstate-backend", TF, tls=no_bucket_policy),
    drift(ROOT, "tfstate-backend", "lock-table-missing", f"{TF}.lock_table.exists", seed={"table": False}),
    drift(ROOT, "tfstate-backend", "lock-table-key", f"{TF}.lock_table.key", seed={"hash_key": "id"}),
    drift(ROOT, "tfstate-backend", "pitr-off", f"{TF}.lock_table.pitr", apply=no_pitr),
    drift(ROOT, "tfstate-backend", "lock-table-sse-off", f"{TF}.lock_table.encryption", seed={"table_sse": False}),
    drift(ROOT, "tfstate-backend", "deletion-protection-off", f"{TF}.lock_table.deletion_protection",
          apply=no_deletion_protection),
    *bucket_drifts(LOGS, "log-bucket", "log_bucket", tls=tls_statement_dropped),
    drift(LOGS, "log-bucket", "delivery-account-dropped", "log_bucket.delivery_accounts",
          apply=delivery_account_dropped),
    drift(LOGS, "log-bucket", "short-retention", "log_bucket.lifecycle", apply=short_retention),
    # guardduty, securityhub
    drift(SECURITY, "guardduty", "missing", "guardduty.detector", missing=True),
    drift(SECURITY, "guardduty", "disabled", "guardduty.enabled", apply=gd_update(Enable=False)),
    drift(SECURITY, "guardduty", "hourly", "guardduty.finding_frequency",
          apply=gd_update(FindingPublishingFrequency="SIX_HOURS")),
    drift(SECURITY, "guardduty", "feature-flipped", "guardduty.features", apply=gd_feature_flipped),
    drift(SECURITY, "securityhub", "disabled", "securityhub.enabled", apply=hub_disabled),
    # budgets
    drift(DEV, "budgets", "missing", "budgets.budget", missing=True),
    drift(PROD, "budgets", "limit-raised", "budgets.limit", seed={"limit_factor": 10}),
    drift(LOGS, "budgets", "notification-deleted", "budgets.notifications", apply=notification_deleted),
]


def producers(resolver: Resolver, instance_id: str) -> set[str]:
    """Every instance ``instance_id`` depends on, directly or through its producers."""
    found: set[str] = set()
    todo = [instance_id]
    while todo:
        stack, _, component = todo.pop().partition("/")
        for dep in resolver.instance(component, stack).dependencies:
            key = f"{dep.stack}/{dep.component}"
            if key not in found:
                found.add(key)
                todo.append(key)
    return found


def schedule(drifts: list[Drift], resolver: Resolver) -> list[list[Drift]]:
    """Greedy rounds: one drift per instance per round, never an instance together with its producers."""
    related = {d.instance_id: producers(resolver, d.instance_id) for d in drifts}
    rounds: list[list[Drift]] = []
    for d in drifts:
        for round_ in rounds:
            ids = {x.instance_id for x in round_}
            clash = d.instance_id in ids or related[d.instance_id] & ids or any(
                d.instance_id in related[x] for x in ids)
            if not clash:
                round_.append(d)
                break
        else:
            rounds.append([d])
    return rounds
