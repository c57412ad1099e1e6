"""Service policies for an AWS multi-account platform: buckets, logs, keys, secrets, queues, databases, trails, APIs.

Each reads plain attributes of one resource (or a linked one, tied by its ``bucket`` /
``secret_id`` argument); an attribute the configuration leaves unset is "not
configured", one known only after apply is undetermined.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterator

from harness.plan import Plan, Resource, Undetermined, Unknown
from harness.policy.helpers import (
    effect,
    first_block,
    is_blank,
    is_true,
    linked,
    maybe_links,
    missing,
    statements,
    strings,
)
from harness.policy.model import Param, PolicyContext, Violation, undetermined, violation
from harness.policy.packs._settings import key_set, setting
from harness.policy.packs.iam import IDENTITY_POLICY_TYPES, identity_documents
from harness.policy.packs.storage import bucket_links, is_state_bucket, versioning_gaps
from harness.policy.registry import policy


def _exempt(resource: Resource, globs: list[str]) -> bool:
    name = resource.get("bucket", None)
    return isinstance(name, str) and any(fnmatch.fnmatchcase(name, g) for g in globs)


@policy(
    "s3.all-buckets-versioned",
    title="Every S3 bucket is versioned (state buckets: s3.versioning)",
    severity="medium",
    controls=("NIST-CP-9", "NIST-SI-12", "FSBP-S3.14"),
    params={"exempt_buckets": Param([], "bucket name globs that need no versioning (scratch, caches)")},
    resource_types=("aws_s3_bucket",),
)
def all_buckets_versioned(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """An overwritten or deleted object is gone for good unless the bucket keeps versions."""
    if _exempt(resource, [str(g) for g in ctx.param("exempt_buckets")]):
        return
    try:
        if is_state_bucket(resource, dataclasses.replace(ctx, params={"all_buckets": False, "buckets": []})):
            return  # s3.versioning reports state buckets
    except Undetermined:
        pass
    yield from versioning_gaps(resource, plan, "bucket without versioning")


@policy(
    "s3.access-logging",
    title="S3 buckets log access (server access logging)",
    severity="low",
    controls=("NIST-AU-2", "NIST-AU-12", "FSBP-S3.9"),
    params={"exempt_buckets": Param([], "bucket name globs that need no access log (the access-log bucket itself)")},
    resource_types=("aws_s3_bucket",),
)
def access_logging(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Access logs are the only record of who read or deleted which object."""
    if _exempt(resource, [str(g) for g in ctx.param("exempt_buckets")]):
        return
    inline = setting(resource, "logging")
    if inline:
        return
    links = bucket_links(plan, resource, "aws_s3_bucket_logging")
    if links.sure:
        return
    if links.maybe:
        yield maybe_links(resource, "logging configuration", links.maybe)
        return
    yield missing(plan, resource, "no server access logging (aws_s3_bucket_logging)")


@policy(
    "network.default-sg-managed",
    title="Every VPC's default security group is managed (so its AWS default rules are removed)",
    severity="medium",
    controls=("CIS-5.3", "NIST-AC-4", "NIST-SC-7", "FSBP-EC2.2"),
    resource_types=("aws_vpc",),
)
def default_sg_managed(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """AWS creates the default group allowing all traffic between its members and all egress; only an
    ``aws_default_security_group`` without rules takes those rules away."""
    links = linked(plan, "aws_default_security_group", "vpc_id", resource, attrs=("id",))
    if links.sure:
        return
    if links.maybe:
        yield maybe_links(resource, "default security group", links.maybe)
        return
    yield missing(plan, resource, "the default security group is not managed: it keeps AWS's allow-all rules")


@policy(
    "logs.retention",
    title="CloudWatch log groups have a retention period",
    severity="low",
    controls=("NIST-AU-11", "NIST-SI-12"),
    params={"min_days": Param(90, "the shortest retention accepted, in days")},
    resource_types=("aws_cloudwatch_log_group",),
)
def log_retention(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without retention logs are kept (and billed) forever; too short a retention loses the evidence."""
    days = setting(resource, "retention_in_days")
    if days in (None, 0):
        yield violation(resource, "retention_in_days is not set (logs never expire)", value=days,
                        path="retention_in_days")
    elif int(days) < int(ctx.param("min_days")):
        yield violation(resource, f"retention_in_days is {days}, below {ctx.param('min_days')}", value=days,
                        path="retention_in_days")


@policy(
    "logs.kms",
    title="CloudWatch log groups are encrypted with a KMS key",
    severity="medium",
    controls=("NIST-SC-28", "NIST-AU-9"),
    resource_types=("aws_cloudwatch_log_group",),
)
def log_kms(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Logs hold request data and secrets by accident; a customer key puts reading them behind a key policy."""
    if not key_set(resource, "kms_key_id"):
        yield violation(resource, "kms_key_id is not set", path="kms_key_id")


@policy(
    "kms.key-policy",
    title="KMS keys have an explicit key policy",
    severity="medium",
    controls=("NIST-AC-3", "NIST-SC-12"),
    resource_types=("aws_kms_key",),
)
def key_policy(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without a policy the key gets AWS's default, which lets every IAM principal of the account with kms:* use it."""
    value = resource.get("policy", None)
    if isinstance(value, Unknown):
        return  # plan JSON marks a set-but-unknown document and an unset one alike: only a known blank is a gap
    if is_blank(value):
        yield violation(resource, "no key policy (the default key policy applies)", path="policy")


WRITE_VERBS = ("Create", "Delete", "Put", "Update", "Attach", "Detach", "Modify", "Remove", "Add", "Set",
               "Replace", "Revoke", "Terminate", "Disable", "Enable", "Pass", "Write", "Upload", "Restore",
               "Reset", "Associate", "Disassociate", "Import", "Tag", "Untag")
_WRITE = re.compile(rf"^[A-Za-z0-9-]+:({'|'.join(WRITE_VERBS)})[A-Za-z0-9*]*$")


@policy(
    "iam.no-wildcard-resource-writes",
    title="IAM policies do not allow create/delete/write actions on Resource \"*\"",
    severity="high",
    controls=("NIST-AC-6", "NIST-AC-3", "FSBP-IAM.21"),
    params={"allowed_actions": Param([], "action globs that may act on \"*\" anyway (e.g. \"logs:Put*\")")},
    resource_types=IDENTITY_POLICY_TYPES,
)
def no_wildcard_resource_writes(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A write on every resource of the account is one mistake (or one stolen key) away from deleting all of it.

    Documents are read however they were written: inline JSON, ``jsonencode``, a policy
    document data source, or a file read with ``file()``/``templatefile()``.
    """
    allowed = [str(a) for a in ctx.param("allowed_actions")]
    try:
        docs = list(identity_documents(plan, resource))
    except Undetermined as exc:
        yield undetermined(resource, exc)
        return
    for path, doc in docs:
        if path == "assume_role_policy":
            continue
        for i, stmt in enumerate(statements(doc)):
            try:
                if effect(stmt) != "Allow" or "Action" not in stmt:
                    continue
                actions = strings(stmt.get("Action"), "Action")
                resources = strings(stmt.get("Resource", "*"), "Resource")
            except Undetermined as exc:
                yield undetermined(resource, exc, path=f"{path}.Statement.{i}")
                continue
            if "*" not in resources or stmt.get("Condition"):
                continue
            writes = [a for a in actions if _WRITE.match(a) and not any(fnmatch.fnmatchcase(a, g) for g in allowed)]
            if writes:
                yield violation(resource, f"statement allows {', '.join(writes[:5])}"
                                          f"{' ...' if len(writes) > 5 else ''} on Resource \"*\"",
                                value=writes, path=f"{path}.Statement.{i}")


@policy(
    "apigateway.tls12",
    title="API Gateway custom domains require TLS 1.2",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-13"),
    resource_types=("aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name"),
)
def apigateway_tls12(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """TLS 1.0 and 1.1 have known weaknesses and are refused by current clients and audits."""
    if resource.type == "aws_apigatewayv2_domain_name":
        block = first_block(resource, "domain_name_configuration")
        value = None if block is None else block.get("security_policy")
        path = "domain_name_configuration.0.security_policy"
    else:
        value = setting(resource, "security_policy")
        path = "security_policy"
    if isinstance(value, Unknown):
        raise Undetermined(value.reason, address=resource.address, path=path, ref=value.ref)
    if value != "TLS_1_2" and not (isinstance(value, str) and value.startswith("SecurityPolicy_TLS13")):
        yield violation(resource, f"security_policy is {value or 'not set (TLS_1_0)'}, not TLS_1_2", value=value,
                        path=path)


@policy(
    "secretsmanager.kms",
    title="Secrets Manager secrets use a customer managed KMS key",
    severity="medium",
    controls=("NIST-SC-28", "NIST-SC-12"),
    resource_types=("aws_secretsmanager_secret",),
)
def secret_kms(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """The AWS managed key cannot be shared across accounts or restricted by a key policy."""
    if not key_set(resource, "kms_key_id"):
        yield violation(resource, "kms_key_id is not set (aws/secretsmanager key)", path="kms_key_id")


@policy(
    "secretsmanager.rotation",
    title="Secrets Manager secrets rotate automatically",
    severity="medium",
    controls=("NIST-IA-5", "FSBP-SecretsManager.1"),
    resource_types=("aws_secretsmanager_secret",),
)
def secret_rotation(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A secret that never changes stays valid for whoever copied it once."""
    links = linked(plan, "aws_secretsmanager_secret_rotation", "secret_id", resource, attrs=("id", "arn", "name"))
    if links.sure:
        return
    if links.maybe:
        yield maybe_links(resource, "rotation", links.maybe)
        return
    yield missing(plan, resource, "no aws_secretsmanager_secret_rotation for this secret")


@policy(
    "sns.encryption",
    title="SNS topics are encrypted with KMS",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-SNS.1"),
    resource_types=("aws_sns_topic",),
)
def sns_encryption(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Messages rest unencrypted in the topic until delivered."""
    if not key_set(resource, "kms_master_key_id"):
        yield violation(resource, "kms_master_key_id is not set", path="kms_master_key_id")


@policy(
    "sqs.encryption",
    title="SQS queues are encrypted (KMS or SQS-managed SSE)",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-SQS.1"),
    resource_types=("aws_sqs_queue",),
)
def sqs_encryption(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Queued messages often carry the payloads the rest of the system protects."""
    if key_set(resource, "kms_master_key_id"):
        return
    managed = setting(resource, "sqs_managed_sse_enabled")
    if managed is False or (isinstance(managed, str) and managed.lower() == "false"):
        yield violation(resource, "sqs_managed_sse_enabled is false and no kms_master_key_id",
                        path="sqs_managed_sse_enabled")


RDS_TYPES = ("aws_db_instance", "aws_rds_cluster")


def _aurora_member(resource: Resource) -> bool:
    return resource.type == "aws_db_instance" and bool(resource.get("cluster_identifier", None))


@policy(
    "rds.backups",
    title="RDS databases keep automated backups",
    severity="medium",
    controls=("NIST-CP-9", "FSBP-RDS.11"),
    params={"min_days": Param(7, "the shortest backup retention accepted, in days")},
    resource_types=RDS_TYPES,
)
def rds_backups(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Automated backups are the only point-in-time restore after a bad migration or a deleted table."""
    if _aurora_member(resource):
        return
    days = setting(resource, "backup_retention_period")
    if days is None:
        yield violation(resource, "backup_retention_period is not set (AWS keeps 1 day)",
                        path="backup_retention_period")
    elif int(days) < int(ctx.param("min_days")):
        yield violation(resource, f"backup_retention_period is {days}, below {ctx.param('min_days')}", value=days,
                        path="backup_retention_period")


@policy(
    "rds.deletion-protection",
    title="RDS databases have deletion protection",
    severity="medium",
    controls=("NIST-CP-9", "NIST-SC-5", "FSBP-RDS.7", "FSBP-RDS.8"),
    resource_types=RDS_TYPES,
)
def rds_deletion_protection(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """One wrong ``terraform destroy`` or console click deletes the database and its automated backups."""
    if _aurora_member(resource):
        return
    if not is_true(setting(resource, "deletion_protection")):
        yield violation(resource, "deletion_protection is not true", path="deletion_protection")


@policy(
    "rds.no-public-access",
    title="RDS instances are not publicly accessible",
    severity="critical",
    controls=("NIST-AC-3", "NIST-SC-7", "FSBP-RDS.2"),
    resource_types=("aws_db_instance",),
)
def rds_no_public_access(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A public endpoint puts the database's login page on the internet."""
    if is_true(setting(resource, "publicly_accessible")):
        yield violation(resource, "publicly_accessible is true", value=True, path="publicly_accessible")


@policy(
    "cloudtrail.multi-region-validated",
    title="CloudTrail trails are multi-region and validate their log files",
    severity="high",
    controls=("CIS-3.1", "CIS-3.2", "NIST-AU-9", "NIST-AU-12", "FSBP-CloudTrail.1", "FSBP-CloudTrail.4"),
    resource_types=("aws_cloudtrail",),
)
def cloudtrail_multi_region(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A single-region trail misses activity elsewhere; without validation a deleted or edited log goes unnoticed."""
    if not is_true(setting(resource, "is_multi_region_trail")):
        yield violation(resource, "is_multi_region_trail is not true", path="is_multi_region_trail")
    if not is_true(setting(resource, "enable_log_file_validation")):
        yield violation(resource, "enable_log_file_validation is not true", path="enable_log_file_validation")
