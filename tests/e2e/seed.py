"""Seed the emulator with what each component deploys, driven by the instance's resolved inputs.

Test-only: uses ordinary (writing) emulator sessions in the stack's account (STS assume-role of the
stack's role), mirrors what components/terraform/<folder>/main.tf creates, and records outputs the
way ``terraform output`` would (and, by default, a state object in the stack's backend) so the
validators can be exercised with every outputs source.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from harness.atmos import Instance, Resolver
from harness.aws import Emulator
from harness.aws.sessions import region_for, role_arn_for
from harness.deploy.backend import state_object_key
from harness.deploy.inputs import has_refs, resolve_inputs
from harness.terraform import load_module
from harness.verify.access import expected_account
from harness.verify.cidr import cidrsubnet
from harness.verify.components.securityhub import standards_arns

Seed = Callable[["Seeder", Instance, dict[str, Any], dict[str, Any]], dict[str, Any]]


def ident(v: dict[str, Any], suffix: str | None = None) -> str:
    parts = [v["namespace"], v["tenant"], v["environment"], v["stage"], suffix if suffix is not None else v["name"]]
    return "-".join(str(p) for p in parts)


def context_tags(v: dict[str, Any], name: str) -> dict[str, str]:
    tags = {"Namespace": v["namespace"], "Tenant": v["tenant"], "Environment": v["environment"], "Stage": v["stage"],
            "ManagedBy": "terraform", **(v.get("tags") or {}), "Name": name}
    return {str(k): str(val) for k, val in tags.items()}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


_WRITERS: dict[str, Any] = {}
_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})


def writer(emulator: Emulator) -> Any:
    """One writing boto3 session per emulator endpoint for the whole test run (models load once)."""
    if emulator.endpoint not in _WRITERS:
        _WRITERS[emulator.endpoint] = boto3.Session(aws_access_key_id=emulator.access_key,
                                                    aws_secret_access_key=emulator.secret_key,
                                                    region_name=emulator.region)
    return _WRITERS[emulator.endpoint]


class Seeder:
    """Creates compliant resources for instances (and the producers their inputs reference)."""

    def __init__(self, emulator: Emulator, resolver: Resolver, *, write_states: bool = True) -> None:
        self.emulator = emulator
        self.resolver = resolver
        self.write_states = write_states
        self.outputs: dict[str, dict[str, Any]] = {}
        self.buckets: set[str] = set()
        self._credentials: dict[str, dict[str, str]] = {}
        self._clients: dict[tuple[str | None, str, str], Any] = {}

    # -- helpers -------------------------------------------------------------------------------------
    def client(self, instance: Instance, service: str, *, region: str | None = None) -> Any:
        """A writing client in the instance's account (its role), in its region unless given."""
        return self.client_as(role_arn_for(instance), service, region or region_for(instance))

    def client_as(self, role_arn: str | None, service: str, region: str) -> Any:
        key = (role_arn, service, region)
        if key not in self._clients:
            session = writer(self.emulator)
            credentials: dict[str, str] = {}
            if role_arn is not None:
                if role_arn not in self._credentials:
                    sts = session.client("sts", endpoint_url=self.emulator.endpoint, config=_CONFIG)
                    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="harness-e2e-seed")["Credentials"]
                    self._credentials[role_arn] = {"aws_access_key_id": creds["AccessKeyId"],
                                                   "aws_secret_access_key": creds["SecretAccessKey"],
                                                   "aws_session_token": creds["SessionToken"]}
                credentials = self._credentials[role_arn]
            self._clients[key] = session.client(service, region_name=region, endpoint_url=self.emulator.endpoint,
                                                config=_CONFIG, **credentials)
        return self._clients[key]

    def inputs(self, instance: Instance) -> dict[str, Any]:
        """Variable defaults overlaid with the stack's vars; references resolved by seeding the producer."""
        defaults = {n: var.default for n, var in load_module(instance.component_path).variables.items()
                    if var.has_default}
        merged = {**defaults, **instance.vars}
        if not has_refs(merged):
            return merged
        return resolve_inputs(instance, self.resolver, self._producer_outputs, variables=merged)

    def _producer_outputs(self, producer: Instance) -> dict[str, Any]:
        if producer.id not in self.outputs:
            self.seed(producer)
        return self.outputs[producer.id]

    def seed(self, instance: Instance, **overrides: Any) -> dict[str, Any]:
        """Create what the instance deploys (``overrides`` inject drift at creation); returns its outputs.
        An instance already seeded (without overrides) is not seeded again."""
        if instance.id in self.outputs and not overrides:
            return self.outputs[instance.id]
        seeder = SEEDERS[instance.folder]
        outputs = seeder(self, instance, self.inputs(instance), overrides)
        self.outputs[instance.id] = outputs
        if self.write_states and instance.folder != "tfstate-backend":
            self.write_state(instance, outputs)
        return outputs

    def write_state(self, instance: Instance, outputs: dict[str, Any]) -> str:
        """A minimal Terraform state with ``outputs`` at the instance's backend key (bucket made if needed)."""
        backend = instance.backend
        bucket = str(backend["bucket"])
        role = backend.get("role_arn")
        s3 = self.client_as(str(role) if role else None, "s3", str(backend.get("region") or "us-east-1"))
        if bucket not in self.buckets:
            try:
                s3.head_bucket(Bucket=bucket)
            except Exception:  # noqa: BLE001 - missing bucket: make it
                s3.create_bucket(Bucket=bucket)
            self.buckets.add(bucket)
        key = state_object_key(backend, instance.workspace)
        state = {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "harness-e2e",
                 "outputs": {k: {"value": v, "type": "dynamic"} for k, v in outputs.items()}, "resources": []}
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(state).encode())
        return f"s3://{bucket}/{key}"

    @staticmethod
    def write_outputs(directory: Path, instance: Instance, outputs: dict[str, Any], *, wrapped: bool = True) -> Path:
        """``DIR/<stack>/<component>.json`` in ``terraform output -json`` format (or a plain map)."""
        path = directory / instance.stack / f"{instance.component}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: {"value": v, "type": "dynamic", "sensitive": False} for k, v in outputs.items()} if wrapped \
            else outputs
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return path


# -- vpc -------------------------------------------------------------------------------------------------
def seed_vpc(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    ec2 = s.client(inst, "ec2")
    name = ident(v)
    cidr = str(v["cidr_block"])
    azs = list(v["availability_zones"])
    primary = str(o.get("vpc_cidr", cidr))
    vpc_id = ec2.create_vpc(CidrBlock=primary, TagSpecifications=[
        {"ResourceType": "vpc", "Tags": tag_list(context_tags(v, name))}])["Vpc"]["VpcId"]
    if primary != cidr:
        ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock=cidr)
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": bool(v["enable_dns_hostnames"])})
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                       {"Name": "group-name", "Values": ["default"]}])
    group = default_sg["SecurityGroups"][0]
    if group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    newbits = int(v["subnet_newbits"])
    public: dict[str, str] = {}
    private: dict[str, str] = {}
    for index, az in enumerate(azs):
        for tier, offset, into in (("public", 0, public), ("private", 4, private)):
            subnet = ec2.create_subnet(VpcId=vpc_id, AvailabilityZone=az,
                                       CidrBlock=cidrsubnet(cidr, newbits, index + offset),
                                       TagSpecifications=[{"ResourceType": "subnet", "Tags": tag_list(
                                           {**context_tags(v, f"{name}-{tier}-{az}"), "Tier": tier})}])
            into[az] = subnet["Subnet"]["SubnetId"]
        if v["map_public_ip_on_launch"]:
            ec2.modify_subnet_attribute(SubnetId=public[az], MapPublicIpOnLaunch={"Value": True})
    nat_enabled = bool(v["nat_gateway_enabled"])
    per_az = v["nat_gateway_mode"] == "per_az"
    nat_azs = (azs if per_az else azs[:1]) if nat_enabled else []
    nats: dict[str, str] = {}
    eips: list[str] = []
    for az in nat_azs:
        allocation = ec2.allocate_address(Domain="vpc")
        eips.append(allocation["PublicIp"])
        nats[az] = ec2.create_nat_gateway(SubnetId=public[az], AllocationId=allocation["AllocationId"])[
            "NatGateway"]["NatGatewayId"]
    public_rt = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for az in azs:
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public[az])
    private_rts: dict[str, str] = {}
    for az in azs:
        table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        private_rts[az] = table
        if nat_enabled:
            ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0",
                             NatGatewayId=nats[az if per_az else azs[0]])
        ec2.associate_route_table(RouteTableId=table, SubnetId=private[az])
    endpoint = None
    if v["s3_gateway_endpoint_enabled"]:
        endpoint = ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.{v['region']}.s3",
                                           VpcEndpointType="Gateway",
                                           RouteTableIds=[public_rt, *private_rts.values()])["VpcEndpoint"][
            "VpcEndpointId"]
    flow_log = None
    if v["flow_logs_enabled"]:
        ensure_log_bucket(s, inst, str(v["flow_logs_bucket_arn"]))
        options: dict[str, Any] = {}
        if v.get("flow_logs_file_format", "plain-text") == "parquet":  # as the component's dynamic block
            options["DestinationOptions"] = {"FileFormat": "parquet", "HiveCompatiblePartitions": True,
                                             "PerHourPartition": True}
        created = ec2.create_flow_logs(ResourceIds=[vpc_id], ResourceType="VPC",
                                       TrafficType=str(v["flow_logs_traffic_type"]), LogDestinationType="s3",
                                       LogDestination=str(v["flow_logs_bucket_arn"]),
                                       MaxAggregationInterval=int(v["flow_logs_max_aggregation_interval"]),
                                       **options)
        assert not created["Unsuccessful"], created["Unsuccessful"]
        flow_log = created["FlowLogIds"][0]
    return {"vpc_id": vpc_id, "vpc_cidr_block": cidr, "availability_zones": azs,
            "public_subnet_ids": [public[az] for az in azs], "private_subnet_ids": [private[az] for az in azs],
            "public_subnet_cidrs": {az: cidrsubnet(cidr, newbits, i) for i, az in enumerate(azs)},
            "private_subnet_cidrs": {az: cidrsubnet(cidr, newbits, i + 4) for i, az in enumerate(azs)},
            "public_route_table_id": public_rt, "private_route_table_ids": [private_rts[az] for az in azs],
            "nat_gateway_ids": [nats[az] for az in nat_azs], "nat_public_ips": eips, "internet_gateway_id": igw,
            "default_security_group_id": group["GroupId"], "s3_gateway_endpoint_id": endpoint,
            "flow_log_id": flow_log}


def ensure_log_bucket(s: Seeder, inst: Instance, bucket_arn: str) -> None:
    """Flow logs need their bucket to exist: make it (bare) in the account of the log-bucket the vpc depends
    on, unless that log-bucket is seeded already (a full log-bucket costs a KMS key)."""
    bucket = bucket_arn.split(":::", 1)[1].split("/", 1)[0]
    owner = inst
    for dep in inst.dependencies:
        producer = s.resolver.instance(dep.component, dep.stack)
        if producer.folder == "log-bucket" and ident(s.inputs(producer)) == bucket:
            if producer.id in s.outputs:
                return
            owner = producer
    if bucket in s.buckets:
        return
    s.client(owner, "s3").create_bucket(Bucket=bucket)
    s.buckets.add(bucket)


# -- security-group -----------------------------------------------------------------------------------
def sg_permission(rule: dict[str, Any], peer_kind: str, peer: str) -> dict[str, Any]:
    protocol = str(rule["protocol"])
    permission: dict[str, Any] = {"IpProtocol": protocol}
    if protocol != "-1":
        permission.update({"FromPort": int(rule["from_port"]), "ToPort": int(rule["to_port"])})
    description = str(rule["description"])
    if peer_kind == "cidr_blocks":
        permission["IpRanges"] = [{"CidrIp": peer, "Description": description}]
    elif peer_kind == "ipv6_cidr_blocks":
        permission["Ipv6Ranges"] = [{"CidrIpv6": peer, "Description": description}]
    elif peer_kind == "prefix_list_ids":
        permission["PrefixListIds"] = [{"PrefixListId": peer, "Description": description}]
    else:
        permission["UserIdGroupPairs"] = [{"GroupId": peer, "Description": description}]
    return permission


def seed_security_group(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    ec2 = s.client(inst, "ec2")
    name = ident(v)
    vpc_id = str(v["vpc_id"])
    if o.get("vpc_id_from") == "other":  # drift: the group lives in a VPC that is not the stack's
        vpc_id = ec2.create_vpc(CidrBlock="10.250.0.0/16")["Vpc"]["VpcId"]
    group_id = ec2.create_security_group(GroupName=name, Description=str(o.get("description", v["description"])),
                                         VpcId=vpc_id, TagSpecifications=[
                                             {"ResourceType": "security-group",
                                              "Tags": tag_list(context_tags(v, name))}])["GroupId"]
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    if group.get("IpPermissionsEgress"):  # terraform removes AWS's default allow-all egress
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=group["IpPermissionsEgress"])
    for rule in (v.get("rules") or {}).values():
        for kind in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_group_ids"):
            for peer in rule.get(kind) or []:
                permission = sg_permission(rule, kind, str(peer))
                if rule["type"] == "ingress":
                    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
                else:
                    ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[permission])
    return {"security_group_id": group_id, "security_group_name": name,
            "security_group_arn": f"arn:aws:ec2:{v['region']}:{expected_account(inst)}:security-group/"
                                  f"{group_id}"}


# -- iam-role -----------------------------------------------------------------------------------------
def trust_document(v: dict[str, Any]) -> dict[str, Any]:
    """The trust policy data.aws_iam_policy_document.assume_role renders (one statement per principal type)."""
    statements = []
    for kind, identifiers in v["principals"].items():
        statement: dict[str, Any] = {"Sid": f"Trust{kind}Principals", "Effect": "Allow",
                                     "Action": list(v["assume_role_actions"]),
                                     "Principal": {kind: list(identifiers)}}
        conditions: dict[str, dict[str, list[str]]] = {}
        for condition in v["assume_role_conditions"] or []:
            conditions.setdefault(condition["test"], {})[condition["variable"]] = list(condition["values"])
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def seed_iam_role(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    iam = s.client(inst, "iam")
    name = ident(v)
    role = iam.create_role(RoleName=name, Path=str(o.get("path", v["path"])), Description=str(v["description"]),
                           AssumeRolePolicyDocument=json.dumps(trust_document(v)),
                           PermissionsBoundary=str(v["permissions_boundary"]),
                           MaxSessionDuration=int(v["max_session_duration"]),
                           Tags=tag_list(context_tags(v, name)))["Role"]
    for arn in v["managed_policy_arns"] or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=str(arn))
    for policy, statements in (v["inline_policies"] or {}).items():
        document = {"Version": "2012-10-17", "Statement": [
            {**({"Sid": st["sid"]} if st.get("sid") else {}), "Effect": st.get("effect", "Allow"),
             "Action": st["actions"], "Resource": st["resources"]} for st in statements]}
        iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(document))
    return {"role_name": name, "role_arn": role["Arn"], "role_id": role["RoleId"],
            "assume_role_policy": json.dumps(trust_document(v)),
            "inline_policy_names": sorted(v["inline_policies"] or {}),
            "managed_policy_arns": sorted(v["managed_policy_arns"] or [])}


# -- buckets (tfstate-backend, log-bucket) --------------------------------------------------------------
def tls_statement(bucket: str) -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def seed_key(s: Seeder, inst: Instance, name: str, o: dict[str, Any]) -> str:
    kms = s.client(inst, "kms")
    key = kms.create_key(Description=f"Encrypts {name}")["KeyMetadata"]
    if o.get("kms_rotation", True):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    if o.get("kms_alias", True):
        kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def seed_bucket(s: Seeder, inst: Instance, bucket: str, key_arn: str, policy: dict[str, Any],
                lifecycle: dict[str, Any]) -> None:
    s3 = s.client(inst, "s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):  # made bare earlier for flow logs
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_ownership_controls(Bucket=bucket,
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
         "BucketKeyEnabled": True}]})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [lifecycle]})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def seed_tfstate_backend(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    name = ident(v)
    table = f"{name}-lock"
    key_arn = seed_key(s, inst, name, o)
    if o.get("bucket", True):
        seed_bucket(s, inst, name, key_arn, {"Version": "2012-10-17", "Statement": [tls_statement(name)]},
                    {"ID": "expire-noncurrent-state-versions", "Status": "Enabled", "Filter": {},
                     "NoncurrentVersionTransitions": [{"NoncurrentDays": int(v["noncurrent_version_transition_days"]),
                                                       "StorageClass": "STANDARD_IA"}],
                     "NoncurrentVersionExpiration": {"NoncurrentDays": int(v["noncurrent_version_expiration_days"])},
                     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}})
    ddb = s.client(inst, "dynamodb")
    if o.get("table", True):
        hash_key = str(o.get("hash_key", "LockID"))
        sse = ({"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn} if o.get("table_sse", True)
               else {"Enabled": False})
        ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}], SSESpecification=sse,
                         DeletionProtectionEnabled=bool(v["deletion_protection_enabled"]),
                         Tags=tag_list(context_tags(v, table)))
        ddb.update_continuous_backups(TableName=table,
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return {"bucket_id": name, "bucket_arn": f"arn:aws:s3:::{name}", "dynamodb_table_name": table,
            "kms_key_arn": key_arn, "kms_alias_name": f"alias/{name}"}


def log_delivery_policy(bucket: str, accounts: list[str]) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{bucket}"
    condition = {"StringEquals": {"aws:SourceAccount": accounts}}
    return {"Version": "2012-10-17", "Statement": [
        tls_statement(bucket),
        {"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": arn, "Condition": condition},
        {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": [f"{arn}/AWSLogs/{a}/*" for a in accounts],
         "Condition": {"StringEquals": {"aws:SourceAccount": accounts, "s3:x-amz-acl": "bucket-owner-full-control"}}}]}


def seed_log_bucket(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    name = ident(v)
    key_arn = seed_key(s, inst, name, o)
    if o.get("bucket", True):
        seed_bucket(s, inst, name, key_arn, log_delivery_policy(name, [str(a) for a in v["source_account_ids"]]),
                    {"ID": "archive-then-expire", "Status": "Enabled", "Filter": {},
                     "Transitions": [{"Days": int(v["glacier_transition_days"]), "StorageClass": "GLACIER"}],
                     "Expiration": {"Days": int(v["expiration_days"])},
                     "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}})
    return {"bucket_id": name, "bucket_arn": f"arn:aws:s3:::{name}", "kms_key_arn": key_arn}


# -- security services, budgets, account-map --------------------------------------------------------
def guardduty_features(v: dict[str, Any], flip: str | None = None) -> list[dict[str, Any]]:
    features = []
    for name, enabled in v["features"].items():
        on = (not enabled) if name == flip else bool(enabled)
        feature: dict[str, Any] = {"Name": name, "Status": "ENABLED" if on else "DISABLED"}
        if name == "RUNTIME_MONITORING":
            feature["AdditionalConfiguration"] = [
                {"Name": k, "Status": "ENABLED" if c else "DISABLED"}
                for k, c in v["runtime_monitoring_additional_configuration"].items()]
        features.append(feature)
    return features


def seed_guardduty(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    gd = s.client(inst, "guardduty")
    detector = gd.create_detector(Enable=True, FindingPublishingFrequency=str(v["finding_publishing_frequency"]),
                                  Features=guardduty_features(v))["DetectorId"]
    return {"detector_id": detector, "enabled_features": sorted(k for k, on in v["features"].items() if on)}


def seed_securityhub(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    hub = s.client(inst, "securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False, ControlFindingGenerator="SECURITY_CONTROL")
    arns = standards_arns(str(v["region"]), str(v["cis_benchmark_version"]))
    return {"enabled_standards": sorted(v["standards"]),
            "standards_subscription_arns": {n: arns[n] for n in v["standards"]}}


def seed_budgets(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    budgets = s.client(inst, "budgets", region="us-east-1")
    account = str(expected_account(inst))
    name = f"{ident(v)}-monthly"
    budgets.create_budget(AccountId=account, Budget={
        "BudgetName": name, "BudgetLimit": {"Amount": str(v["monthly_limit_amount"] * o.get("limit_factor", 1)),
                                             "Unit": str(v["currency"])},
        "TimeUnit": "MONTHLY", "BudgetType": "COST"}, NotificationsWithSubscribers=[
        {"Notification": {"NotificationType": n["notification_type"], "ComparisonOperator": "GREATER_THAN",
                          "Threshold": float(n["threshold_percent"]), "ThresholdType": "PERCENTAGE"},
         "Subscribers": [{"SubscriptionType": "EMAIL", "Address": e} for e in n["emails"]]}
        for n in v["notifications"]])
    return {"budget_id": f"{account}:{name}", "budget_name": name}


def seed_account_map(s: Seeder, inst: Instance, v: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    """Provider-free: only outputs (what components/terraform/account-map/outputs.tf computes)."""
    accounts = v["accounts"]
    role_name = v.get("terraform_role_name") or f"{v['namespace']}-terraform"
    cicd_role = f"arn:aws:iam::{accounts[v['cicd_account_name']]['id']}:role/{v['cicd_role_name']}"
    return {"account_ids": {n: a["id"] for n, a in accounts.items()},
            "terraform_role_arns": {n: f"arn:aws:iam::{a['id']}:role/{role_name}" for n, a in accounts.items()},
            "cicd_role_arn": cicd_role, "cicd_principal_arns": [cicd_role]}


SEEDERS: dict[str, Seed] = {
    "vpc": seed_vpc, "security-group": seed_security_group, "iam-role": seed_iam_role,
    "tfstate-backend": seed_tfstate_backend, "log-bucket": seed_log_bucket, "guardduty": seed_guardduty,
    "securityhub": seed_securityhub, "budgets": seed_budgets, "account-map": seed_account_map,
}
