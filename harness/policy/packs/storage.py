"""Storage and state policies: S3 encryption, public access, versioning, TLS; DynamoDB; KMS; EBS; RDS.

S3 settings live on separate resources since AWS provider v4
(``aws_s3_bucket_server_side_encryption_configuration``, ``..._public_access_block``,
``..._versioning``, ``..._policy``); they are tied to their bucket by the ``bucket``
argument (a reference in static plans, the bucket name when known). The provider-v3
inline blocks on ``aws_s3_bucket`` are honoured too; in plan JSON those computed inline
attributes are unknown when not configured, which counts as "not configured".
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from harness.plan import Plan, Resource, Undetermined, Unknown, require_known
from harness.policy.helpers import (
    Links,
    as_list,
    computed_unset,
    effect,
    first_block,
    is_blank,
    is_true,
    linked,
    live,
    maybe_links,
    missing,
    policy_document,
    principal_is_public,
    statements,
    strings,
)
from harness.policy.model import Param, PolicyContext, Violation, undetermined, violation
from harness.policy.registry import policy

#: A bucket's id and ARN derive from its name: a known name identifies it.
BUCKET_ATTRS = ("bucket",)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PAB_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")


def bucket_links(plan: Plan, bucket: Resource, type: str) -> Links:
    """The ``type`` resources whose ``bucket`` argument names ``bucket``."""
    return linked(plan, type, "bucket", bucket, attrs=BUCKET_ATTRS)


def _inline(bucket: Resource, path: str) -> Any:
    """An inline provider-v3 block of the bucket, None when not configured."""
    if computed_unset(bucket, path):
        return None
    value = bucket.get(path, None)
    if isinstance(value, Unknown):
        raise Undetermined(value.reason, address=bucket.address, path=path, ref=value.ref)
    return value


def _sse_algorithms(config: Any, address: str, path: str) -> list[str]:
    out: list[str] = []
    for rule in as_list(config, address=address, path=path):
        if not isinstance(rule, Mapping):
            continue
        for default in as_list(rule.get("apply_server_side_encryption_by_default"), address=address, path=path):
            if isinstance(default, Mapping):
                out.append(str(require_known(default.get("sse_algorithm"), address=address,
                                             path=f"{path}.apply_server_side_encryption_by_default.sse_algorithm")))
    return out


@policy(
    "s3.encryption-kms",
    title="S3 buckets are encrypted with SSE-KMS",
    severity="medium",
    controls=("CIS-2.1.1", "NIST-SC-28", "NIST-SC-13", "FSBP-S3.17"),
    resource_types=("aws_s3_bucket",),
)
def encryption_kms(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """SSE-KMS puts access to the data behind a key policy and logs every use of the key in CloudTrail."""
    inline = _inline(resource, "server_side_encryption_configuration")
    if inline:
        algos = []
        for block in as_list(inline):
            if isinstance(block, Mapping):
                algos += _sse_algorithms(block.get("rule"), resource.address, "server_side_encryption_configuration")
        if any(a in KMS_ALGORITHMS for a in algos):
            return
    links = bucket_links(plan, resource, "aws_s3_bucket_server_side_encryption_configuration")
    seen: list[str] = []
    for config in links.sure:
        algos = _sse_algorithms(config.get("rule", None), config.address, "rule")
        if any(a in KMS_ALGORITHMS for a in algos):
            return
        seen += algos
    if seen:
        yield violation(resource, f"default encryption is {', '.join(seen)}, not aws:kms", value=seen)
        return
    if links.maybe:
        yield maybe_links(resource, "encryption configuration", links.maybe)
        return
    yield missing(plan, resource, "no SSE-KMS default encryption (S3 falls back to SSE-S3)")


@policy(
    "s3.public-access-block",
    title="S3 buckets have a public access block with all four settings on",
    severity="high",
    controls=("CIS-2.1.5", "NIST-AC-3", "NIST-AC-21", "FSBP-S3.8"),
    params={"account_level": Param(True, "an aws_s3_account_public_access_block in the plan covers every bucket")},
    applies_to=("aws_s3_bucket", "aws_s3_bucket_public_access_block"),
)
def public_access_block(plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """The block is the guard rail against a later ACL or bucket policy making the data public."""
    for block in live(plan, "aws_s3_bucket_public_access_block"):
        try:
            off = [f for f in PAB_FLAGS if not is_true(require_known(block.get(f, False), address=block.address,
                                                                     path=f))]
        except Undetermined as exc:
            yield undetermined(block, exc)
            continue
        if off:
            yield violation(block, f"public access block leaves {', '.join(off)} off",
                            value={f: block.get(f, None) for f in PAB_FLAGS})
    if ctx.param("account_level"):
        for account in live(plan, "aws_s3_account_public_access_block"):
            if all(is_true(account.get(f, False)) for f in PAB_FLAGS):
                return
    for bucket in live(plan, "aws_s3_bucket"):
        links = bucket_links(plan, bucket, "aws_s3_bucket_public_access_block")
        if links.sure:
            continue
        if links.maybe:
            yield maybe_links(bucket, "public access block", links.maybe)
            continue
        yield missing(plan, bucket, "no aws_s3_bucket_public_access_block for this bucket")


PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")


@policy(
    "s3.no-public-acl",
    title="S3 buckets have no public canned ACL",
    severity="high",
    controls=("NIST-AC-3", "NIST-AC-21", "FSBP-S3.2", "FSBP-S3.3"),
    resource_types=("aws_s3_bucket", "aws_s3_bucket_acl"),
)
def no_public_acl(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A public-read ACL publishes every object of the bucket to the internet."""
    if computed_unset(resource, "acl"):
        return
    acl = resource.get("acl", None)
    if isinstance(acl, Unknown):
        raise Undetermined(acl.reason, address=resource.address, path="acl", ref=acl.ref)
    if acl in PUBLIC_ACLS:
        yield violation(resource, f"canned ACL {acl}", value=acl, path="acl")


def is_state_bucket(bucket: Resource, ctx: PolicyContext) -> bool:
    """A Terraform state bucket: named by the instance's s3 backend, by the ``buckets`` param, or marked in settings."""
    if ctx.param("all_buckets") or ctx.harness.get("state_bucket") is True:
        return True
    globs = [str(g) for g in ctx.param("buckets")]
    backend = ctx.backend.get("bucket") if ctx.backend_type in ("s3", "") else None
    if not globs and not backend:
        return False
    name = bucket.get("bucket", None)
    if isinstance(name, Unknown):
        raise Undetermined(f"cannot tell whether this is a state bucket: {name.reason}", address=bucket.address,
                           path="bucket", ref=name.ref)
    if not isinstance(name, str):
        return False
    return name == backend or any(fnmatch.fnmatchcase(name, g) for g in globs)


@policy(
    "s3.versioning",
    title="Terraform state buckets (or all buckets) are versioned",
    severity="medium",
    controls=("NIST-CP-9", "NIST-SI-12", "FSBP-S3.14"),
    params={"all_buckets": Param(False, "require versioning on every bucket"),
            "buckets": Param([], "bucket name globs that must be versioned")},
    resource_types=("aws_s3_bucket",),
)
def versioning(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without versions a corrupted or deleted state file cannot be recovered."""
    if not is_state_bucket(resource, ctx):
        return
    yield from versioning_gaps(resource, plan, "state bucket without versioning")


def versioning_gaps(resource: Resource, plan: Plan, absent: str) -> Iterator[Violation]:
    """Violations when the bucket ``resource`` is not versioned; ``absent``: the message when nothing is configured."""
    inline = first_block(resource, "versioning") if not computed_unset(resource, "versioning") else None
    if inline is not None and is_true(require_known(inline.get("enabled"), address=resource.address,
                                                    path="versioning.0.enabled")):
        return
    links = bucket_links(plan, resource, "aws_s3_bucket_versioning")
    for config in links.sure:
        block = first_block(config, "versioning_configuration")
        status = None if block is None else require_known(block.get("status"), address=config.address,
                                                           path="versioning_configuration.0.status")
        if status == "Enabled":
            return
        yield violation(config, f"versioning status is {status}", value=status, path="versioning_configuration")
        return
    if links.maybe:
        yield maybe_links(resource, "versioning configuration", links.maybe)
        return
    yield missing(plan, resource, absent)


def _denies_insecure_transport(stmt: Mapping[str, Any]) -> bool:
    if effect(stmt) != "Deny":
        return False
    if "Principal" in stmt and not principal_is_public(stmt["Principal"]):
        return False
    actions = strings(stmt.get("Action"), "Action")
    if not any(a in ("*", "s3:*") for a in actions):
        return False
    condition = stmt.get("Condition") or {}
    if isinstance(condition, Unknown):
        raise Undetermined(condition.reason, path="Condition", ref=condition.ref)
    for test, clauses in condition.items():
        if str(test) not in ("Bool", "BoolIfExists") or not isinstance(clauses, Mapping):
            continue
        for key, values in clauses.items():
            if str(key).lower() == "aws:securetransport" and any(
                    str(v).lower() == "false" for v in strings(values, "Condition")):
                return True
    return False


def _policy_docs(plan: Plan, bucket: Resource) -> tuple[list[tuple[Resource, str]], Links]:
    docs: list[tuple[Resource, str]] = []
    inline = _inline(bucket, "policy")
    if inline:
        docs.append((bucket, "policy"))
    links = bucket_links(plan, bucket, "aws_s3_bucket_policy")
    docs += [(res, "policy") for res in links.sure]
    return docs, links


@policy(
    "s3.tls-only",
    title="S3 bucket policies deny requests without TLS",
    severity="medium",
    controls=("CIS-2.1.2", "NIST-SC-8", "NIST-SC-23", "FSBP-S3.5"),
    resource_types=("aws_s3_bucket",),
)
def tls_only(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Only a Deny on ``aws:SecureTransport = false`` keeps clients from reading or writing in clear text."""
    docs, links = _policy_docs(plan, resource)
    undecided: Undetermined | None = None
    for holder, path in docs:
        try:
            doc = policy_document(plan, holder, path)
            if any(_denies_insecure_transport(s) for s in statements(doc)):
                return
        except Undetermined as exc:
            undecided = exc
    if undecided is not None:
        yield undetermined(resource, undecided)
        return
    if links.maybe:
        yield maybe_links(resource, "bucket policy", links.maybe)
        return
    if docs:
        yield violation(resource, "bucket policy has no Deny for aws:SecureTransport = false")
        return
    yield missing(plan, resource, "no bucket policy denying aws:SecureTransport = false")


@policy(
    "dynamodb.pitr",
    title="DynamoDB tables have point-in-time recovery",
    severity="medium",
    controls=("NIST-CP-9", "NIST-CP-10", "FSBP-DynamoDB.2"),
    resource_types=("aws_dynamodb_table",),
)
def dynamodb_pitr(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """PITR is the only way back from a bad write or delete within the last 35 days."""
    block = first_block(resource, "point_in_time_recovery")
    enabled = None if block is None else require_known(block.get("enabled"), address=resource.address,
                                                        path="point_in_time_recovery.0.enabled")
    if not is_true(enabled):
        yield violation(resource, "point_in_time_recovery is not enabled", value=enabled,
                        path="point_in_time_recovery")


@policy(
    "dynamodb.encryption",
    title="DynamoDB tables use KMS server-side encryption",
    severity="low",
    controls=("NIST-SC-28", "NIST-SC-12"),
    params={"require_cmk": Param(False, "require a customer managed key (kms_key_arn)")},
    resource_types=("aws_dynamodb_table",),
)
def dynamodb_encryption(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without ``server_side_encryption`` the table uses an AWS-owned key outside the account's control and audit."""
    block = None if computed_unset(resource, "server_side_encryption") else first_block(resource,
                                                                                          "server_side_encryption")
    enabled = None if block is None else require_known(block.get("enabled"), address=resource.address,
                                                        path="server_side_encryption.0.enabled")
    if not is_true(enabled):
        yield violation(resource, "server_side_encryption is not enabled (AWS-owned key)", value=enabled,
                        path="server_side_encryption")
        return
    if ctx.param("require_cmk") and block is not None and is_blank(block.get("kms_key_arn")):
        yield violation(resource, "server_side_encryption uses the AWS managed key, not a customer managed key",
                        path="server_side_encryption.0.kms_key_arn")


@policy(
    "kms.key-rotation",
    title="Symmetric KMS keys rotate automatically",
    severity="medium",
    controls=("CIS-3.8", "NIST-SC-12", "FSBP-KMS.4"),
    resource_types=("aws_kms_key",),
)
def key_rotation(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Rotation limits how much data one key version protects; AWS keeps old versions for decryption."""
    spec = resource.get("customer_master_key_spec", None)
    if isinstance(spec, str) and spec != "SYMMETRIC_DEFAULT":
        return
    rotation = require_known(resource.get("enable_key_rotation", False), address=resource.address,
                             path="enable_key_rotation")
    if not is_true(rotation):
        yield violation(resource, "enable_key_rotation is not true", value=rotation, path="enable_key_rotation")


@policy(
    "ec2.ebs-encrypted",
    title="EBS volumes are encrypted",
    severity="medium",
    controls=("CIS-2.2.1", "NIST-SC-28", "FSBP-EC2.3"),
    resource_types=("aws_ebs_volume",),
)
def ebs_encrypted(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Unencrypted volumes and their snapshots expose data to anyone who can copy or share them."""
    for default in live(plan, "aws_ebs_encryption_by_default"):
        if is_true(default.get("enabled", True)):
            return
    if computed_unset(resource, "encrypted"):
        yield violation(resource, "encrypted is not set (and no aws_ebs_encryption_by_default in the plan)",
                        path="encrypted")
        return
    encrypted = require_known(resource.get("encrypted", None), address=resource.address, path="encrypted")
    if not is_true(encrypted):
        yield violation(resource, "encrypted is not true", value=encrypted, path="encrypted")


@policy(
    "rds.storage-encrypted",
    title="RDS instances and clusters encrypt their storage",
    severity="high",
    controls=("CIS-2.3.1", "NIST-SC-28", "FSBP-RDS.3"),
    resource_types=("aws_db_instance", "aws_rds_cluster"),
)
def rds_storage_encrypted(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Database storage, its snapshots and replicas hold the most sensitive data; encryption cannot be added later."""
    if resource.type == "aws_db_instance" and resource.get("cluster_identifier", None):
        return  # an Aurora member: encryption is the cluster's
    if computed_unset(resource, "storage_encrypted"):
        yield violation(resource, "storage_encrypted is not set", path="storage_encrypted")
        return
    encrypted = require_known(resource.get("storage_encrypted", None), address=resource.address,
                              path="storage_encrypted")
    if not is_true(encrypted):
        yield violation(resource, "storage_encrypted is not true", value=encrypted, path="storage_encrypted")


@policy(
    "ec2.imdsv2",
    title="EC2 instances and launch templates require IMDSv2",
    severity="medium",
    controls=("NIST-AC-3", "NIST-SC-7", "FSBP-EC2.8"),
    resource_types=("aws_instance", "aws_launch_template"),
)
def imdsv2(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """IMDSv1 answers any request that reaches it, which turns an SSRF bug into stolen instance credentials."""
    block = None if computed_unset(resource, "metadata_options") else first_block(resource, "metadata_options")
    tokens = None if block is None else block.get("http_tokens")
    if isinstance(tokens, Unknown):
        if computed_unset(resource, "metadata_options.0.http_tokens"):
            tokens = None
        else:
            raise Undetermined(tokens.reason, address=resource.address, path="metadata_options.0.http_tokens",
                               ref=tokens.ref)
    if tokens != "required":
        yield violation(resource, f"metadata_options.http_tokens is {tokens or 'not set'}, not required",
                        value=tokens, path="metadata_options")
