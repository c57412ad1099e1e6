"""Workload policies: Lambda, ECR, EKS, CodeBuild and ECS.

Each reads plain attributes of one resource. As in the other packs an attribute the configuration leaves
unset is "not configured" (a failure when the provider's default is the unsafe value) and one known only
after apply is undetermined (see :mod:`harness.policy.packs._settings`).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping
from typing import Any

from harness.plan import Plan, Resource, Undetermined, Unknown, require_known, reveal
from harness.policy.helpers import (
    as_list,
    computed_unset,
    is_open_cidr,
    is_true,
    strings,
)
from harness.policy.model import Param, PolicyContext, Violation, violation
from harness.policy.packs._settings import configured_block, flag, key_set, required_set, setting
from harness.policy.registry import policy

# -- Lambda -------------------------------------------------------------------------------------


@policy(
    "lambda.env-kms",
    title="Lambda environment variables are encrypted with a customer managed KMS key",
    severity="low",
    controls=("NIST-SC-28", "NIST-SC-12"),
    resource_types=("aws_lambda_function",),
)
def lambda_env_kms(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Environment variables hold connection strings; under aws/lambda whoever reads the configuration reads them."""
    env = configured_block(resource, "environment")
    variables = None if env is None else env.get("variables")
    if isinstance(variables, Unknown):
        raise Undetermined(variables.reason, address=resource.address, path="environment.0.variables",
                           ref=variables.ref)
    if not isinstance(variables, Mapping) or not variables:
        return
    if not key_set(resource, "kms_key_arn"):
        yield violation(resource, f"{len(variables)} environment variable(s) and no kms_key_arn (aws/lambda key)",
                        value=sorted(variables), path="kms_key_arn")


@policy(
    "lambda.xray-tracing",
    title="Lambda functions trace requests with X-Ray (active tracing)",
    severity="low",
    controls=("NIST-AU-12", "NIST-SI-4"),
    resource_types=("aws_lambda_function",),
)
def lambda_xray(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without traces a slow or failing call cannot be followed through the services it touches."""
    mode = setting(resource, "tracing_config.0.mode")
    if mode != "Active":
        yield violation(resource, f"tracing_config.mode is {mode or 'not set (PassThrough)'}, not Active",
                        value=mode, path="tracing_config")


@policy(
    "lambda.dead-letter-queue",
    title="Lambda functions send failed asynchronous events to a dead-letter queue",
    severity="low",
    controls=("NIST-CP-10", "NIST-SI-11"),
    resource_types=("aws_lambda_function",),
)
def lambda_dlq(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """An asynchronous event that fails all retries is dropped without a trace unless a queue keeps it."""
    block = configured_block(resource, "dead_letter_config")
    if block is None or not required_set(resource, "dead_letter_config.0.target_arn"):
        yield violation(resource, "no dead_letter_config.target_arn", path="dead_letter_config")


@policy(
    "lambda.in-vpc",
    title="Lambda functions run in a VPC",
    severity="low",
    controls=("NIST-SC-7", "NIST-AC-4", "FSBP-Lambda.3"),
    resource_types=("aws_lambda_function",),
)
def lambda_in_vpc(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Outside a VPC a function reaches the internet directly, past security groups, flow logs and endpoints."""
    block = configured_block(resource, "vpc_config")
    if block is None or not required_set(resource, "vpc_config.0.subnet_ids"):
        yield violation(resource, "no vpc_config with subnet_ids (the function runs outside any VPC)",
                        path="vpc_config")


@policy(
    "lambda.no-public-access",
    title="Lambda functions cannot be invoked by anyone (no public permission, no function URL without auth)",
    severity="high",
    controls=("NIST-AC-3", "NIST-AC-21", "NIST-SC-7", "FSBP-Lambda.1"),
    resource_types=("aws_lambda_permission", "aws_lambda_function_url"),
)
def lambda_no_public_access(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A function anyone may invoke runs an attacker's input with the function's role and at the account's cost."""
    if resource.type == "aws_lambda_function_url":
        auth = setting(resource, "authorization_type")
        if auth == "NONE":
            yield violation(resource, "function URL with authorization_type NONE", value=auth,
                            path="authorization_type")
        return
    if setting(resource, "principal") != "*":
        return
    undecided: Undetermined | None = None
    for key in ("source_arn", "source_account", "principal_org_id"):
        try:
            if key_set(resource, key):
                return
        except Undetermined as exc:
            undecided = exc  # another condition may still settle it
    if undecided is not None:
        raise undecided
    yield violation(resource, "principal \"*\" without source_arn, source_account or principal_org_id",
                    value="*", path="principal")


# -- ECR ----------------------------------------------------------------------------------------


@policy(
    "ecr.immutable-tags",
    title="ECR repositories have immutable image tags",
    severity="medium",
    controls=("NIST-CM-2", "NIST-CM-8", "FSBP-ECR.2"),
    resource_types=("aws_ecr_repository",),
)
def ecr_immutable_tags(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """With mutable tags a pushed image can silently replace the one that was reviewed and scanned."""
    value = setting(resource, "image_tag_mutability")
    if not str(value).startswith("IMMUTABLE"):
        yield violation(resource, f"image_tag_mutability is {value or 'not set (MUTABLE)'}", value=value,
                        path="image_tag_mutability")


@policy(
    "ecr.scan-on-push",
    title="ECR repositories scan images on push",
    severity="medium",
    controls=("NIST-RA-5", "FSBP-ECR.1"),
    resource_types=("aws_ecr_repository",),
)
def ecr_scan_on_push(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Unscanned images ship known-vulnerable packages with nobody told."""
    if not flag(resource, "image_scanning_configuration.0.scan_on_push"):
        yield violation(resource, "image_scanning_configuration.scan_on_push is not true",
                        path="image_scanning_configuration")


@policy(
    "ecr.kms",
    title="ECR repositories are encrypted with KMS",
    severity="low",
    controls=("NIST-SC-28", "NIST-SC-12"),
    resource_types=("aws_ecr_repository",),
)
def ecr_kms(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """The default AES256 encryption puts image layers behind no key policy and no CloudTrail record of use."""
    kind = setting(resource, "encryption_configuration.0.encryption_type")
    if kind not in ("KMS", "KMS_DSSE"):
        yield violation(resource, f"encryption_type is {kind or 'not set (AES256)'}, not KMS", value=kind,
                        path="encryption_configuration")


# -- EKS ----------------------------------------------------------------------------------------

EKS_LOG_TYPES = ["api", "audit", "authenticator"]


@policy(
    "eks.private-endpoint",
    title="EKS API endpoints are private or restricted to known CIDRs",
    severity="high",
    controls=("NIST-AC-3", "NIST-SC-7", "FSBP-EKS.1"),
    params={"allow_restricted_cidrs": Param(True, "a public endpoint limited by public_access_cidrs passes "
                                                  "(false: any public endpoint fails, as FSBP EKS.1 does)")},
    resource_types=("aws_eks_cluster",),
)
def eks_private_endpoint(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A Kubernetes API server open to the internet is one leaked token or API bug away from the whole cluster."""
    if not flag(resource, "vpc_config.0.endpoint_public_access", True):
        return
    if not ctx.param("allow_restricted_cidrs"):
        yield violation(resource, "endpoint_public_access is true", path="vpc_config.0.endpoint_public_access")
        return
    cidrs = setting(resource, "vpc_config.0.public_access_cidrs")
    listed = ["0.0.0.0/0"] if cidrs is None else strings(cidrs, "vpc_config.0.public_access_cidrs")
    opened = [c for c in listed if is_open_cidr(c)]
    if opened:
        yield violation(resource, f"public endpoint open to {', '.join(opened)}"
                                  f"{'' if cidrs is not None else ' (public_access_cidrs not set)'}",
                        value=opened, path="vpc_config.0.public_access_cidrs")


@policy(
    "eks.secrets-encryption",
    title="EKS clusters envelope-encrypt Kubernetes secrets with KMS",
    severity="medium",
    controls=("NIST-SC-28", "NIST-SC-12", "FSBP-EKS.3"),
    resource_types=("aws_eks_cluster",),
)
def eks_secrets_encryption(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without envelope encryption anyone who reads etcd or its backups reads every secret of the cluster."""
    blocks = [] if computed_unset(resource, "encryption_config") else as_list(
        resource.get("encryption_config", None), address=resource.address, path="encryption_config")
    for i, block in enumerate(blocks):
        if isinstance(block, Mapping) and "secrets" in strings(block.get("resources"),
                                                               f"encryption_config.{i}.resources"):
            return
    yield violation(resource, "no encryption_config for resources [\"secrets\"]", path="encryption_config")


@policy(
    "eks.control-plane-logging",
    title="EKS clusters send the required control plane logs to CloudWatch",
    severity="medium",
    controls=("NIST-AU-2", "NIST-AU-12", "FSBP-EKS.8"),
    params={"log_types": Param(EKS_LOG_TYPES, "enabled_cluster_log_types every cluster must enable")},
    resource_types=("aws_eks_cluster",),
)
def eks_logging(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """The audit and authenticator logs are the only record of who did what through the Kubernetes API."""
    value = setting(resource, "enabled_cluster_log_types")
    enabled = strings(value, "enabled_cluster_log_types")
    absent = [str(t) for t in ctx.param("log_types") if str(t) not in enabled]
    if absent:
        yield violation(resource, f"enabled_cluster_log_types lacks {', '.join(absent)}", value=absent,
                        path="enabled_cluster_log_types")


# -- build and containers -----------------------------------------------------------------------


@policy(
    "codebuild.kms",
    title="CodeBuild projects encrypt build output with a customer managed KMS key",
    severity="low",
    controls=("NIST-SC-28", "NIST-SC-12"),
    resource_types=("aws_codebuild_project",),
)
def codebuild_kms(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Artifacts carry the code and secrets a build produced; the aws/s3 key cannot be restricted by key policy."""
    if not key_set(resource, "encryption_key"):
        yield violation(resource, "encryption_key is not set (aws/s3 key)", path="encryption_key")


@policy(
    "codebuild.no-privileged-mode",
    title="CodeBuild projects do not run builds in privileged mode",
    severity="high",
    controls=("NIST-AC-6", "FSBP-CodeBuild.5"),
    params={"allowed_projects": Param([], "project name globs that may run privileged (Docker image builds)")},
    resource_types=("aws_codebuild_project",),
)
def codebuild_privileged(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A privileged build container has the host's devices: one malicious dependency escapes to the build host."""
    if not flag(resource, "environment.0.privileged_mode"):
        return
    allowed = [str(g) for g in ctx.param("allowed_projects")]
    if allowed:
        name = require_known(resource.get("name", None), address=resource.address, path="name")
        if isinstance(name, str) and any(fnmatch.fnmatchcase(name, g) for g in allowed):
            return
    yield violation(resource, "environment.privileged_mode is true", value=True, path="environment.0.privileged_mode")


def _container_settings(resource: Resource, key: str) -> dict[str, Any]:
    """``key`` of every container definition, by container name; ValueError when the JSON is invalid."""
    text = reveal(require_known(resource.get("container_definitions", None), address=resource.address,
                                path="container_definitions"))
    try:
        containers = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as exc:
        raise ValueError(f"container_definitions is not valid JSON: {exc.msg}") from None
    out: dict[str, Any] = {}
    for i, container in enumerate(as_list(containers)):
        if isinstance(container, Mapping):
            out[str(container.get("name") or i)] = require_known(
                container.get(key), address=resource.address, path=f"container_definitions.{i}.{key}")
    return out


@policy(
    "ecs.no-privileged-containers",
    title="ECS task definitions run no container in privileged mode",
    severity="high",
    controls=("NIST-AC-6", "FSBP-ECS.4"),
    resource_types=("aws_ecs_task_definition",),
)
def ecs_no_privileged(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A privileged container is root on the host: escaping it reaches every task and credential on the instance."""
    try:
        flags = _container_settings(resource, "privileged")
    except ValueError as exc:
        yield violation(resource, str(exc), path="container_definitions")
        return
    privileged = [name for name, on in flags.items() if is_true(on)]
    if privileged:
        yield violation(resource, f"privileged container(s): {', '.join(privileged)}", value=privileged,
                        path="container_definitions")


@policy(
    "ecs.read-only-root-filesystem",
    title="ECS containers have a read-only root filesystem",
    severity="medium",
    controls=("NIST-AC-6", "NIST-CM-7", "FSBP-ECS.5"),
    resource_types=("aws_ecs_task_definition",),
)
def ecs_read_only_root(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A writable root filesystem lets an intruder drop tools or alter the application inside the container."""
    try:
        flags = _container_settings(resource, "readonlyRootFilesystem")
    except ValueError as exc:
        yield violation(resource, str(exc), path="container_definitions")
        return
    writable = [name for name, on in flags.items() if not is_true(on)]
    if writable:
        yield violation(resource, f"container(s) without readonlyRootFilesystem: {', '.join(writable)}",
                        value=writable, path="container_definitions")
