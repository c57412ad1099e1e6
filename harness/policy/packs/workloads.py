"""Workload policies: Lambda, load balancers, ECR, EKS, CloudFront, EFS, ElastiCache, OpenSearch, Kinesis,
CodeBuild, ECS and WAF.

Each reads plain attributes of one resource (a WAF web ACL also its logging configuration,
tied by ``resource_arn``). As in the other packs an attribute the configuration leaves unset
is "not configured" (a failure when the provider's default is the unsafe value) and one known
only after apply is undetermined. Nested blocks are lists of dicts; a required argument inside
a configured block that is known only after apply is configured (plan JSON names such a value
after itself), unless it comes from a variable that may be null.
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
    first_block,
    is_blank,
    is_open_cidr,
    is_true,
    linked,
    maybe_links,
    missing,
    parse_ref,
    strings,
)
from harness.policy.model import Param, PolicyContext, Violation, violation
from harness.policy.packs.services import key_set, setting
from harness.policy.registry import policy


def _block(resource: Resource, path: str) -> Mapping[str, Any] | None:
    """The first ``path`` block, None when not configured; Undetermined when the block list is unknown."""
    return None if computed_unset(resource, path) else first_block(resource, path)


def _flag(resource: Resource, path: str, default: bool = False) -> bool:
    """A boolean setting, ``default`` when unset; Undetermined when unknown."""
    value = setting(resource, path)
    return default if value is None else is_true(value)


def _required_set(resource: Resource, path: str) -> bool:
    """Is a required argument of a configured block set? Known after apply counts when it names a resource (plan
    JSON names a nested unknown after itself); an unknown from a variable or local may be null: undetermined."""
    value = resource.get(path, None)
    if isinstance(value, Unknown):
        if parse_ref(value.ref) is not None:
            return True
        raise Undetermined(value.reason, address=resource.address, path=path, ref=value.ref)
    return not is_blank(value) and value != []


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
    env = _block(resource, "environment")
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
    block = _block(resource, "dead_letter_config")
    if block is None or not _required_set(resource, "dead_letter_config.0.target_arn"):
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
    block = _block(resource, "vpc_config")
    if block is None or not _required_set(resource, "vpc_config.0.subnet_ids"):
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


# -- load balancers -----------------------------------------------------------------------------

LB_TYPES = ("aws_lb", "aws_alb")
LISTENER_TYPES = ("aws_lb_listener", "aws_alb_listener")
TLS12_POLICIES = ["ELBSecurityPolicy-TLS-1-2-*", "ELBSecurityPolicy-FS-1-2-*", "ELBSecurityPolicy-TLS13-1-2-*",
                  "ELBSecurityPolicy-TLS13-1-3-*"]


def _lb_type(resource: Resource) -> str:
    return str(setting(resource, "load_balancer_type") or "application")


@policy(
    "elb.access-logs",
    title="Load balancers write access logs",
    severity="low",
    controls=("NIST-AU-2", "NIST-AU-12", "FSBP-ELB.5"),
    params={"load_balancer_types": Param(["application"], "aws_lb load_balancer_type values that must log "
                                                          "(network load balancers log TLS listeners only)")},
    resource_types=(*LB_TYPES, "aws_elb"),
)
def lb_access_logs(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Access logs are the only record of which client sent which request through the load balancer."""
    if resource.type == "aws_elb":
        enabled = _block(resource, "access_logs") is not None and _flag(resource, "access_logs.0.enabled", True)
    else:
        if _lb_type(resource) not in [str(t) for t in ctx.param("load_balancer_types")]:
            return
        enabled = _flag(resource, "access_logs.0.enabled")
    if not enabled:
        yield violation(resource, "access_logs are not enabled", path="access_logs")


@policy(
    "elb.drop-invalid-headers",
    title="Application load balancers drop invalid HTTP header fields",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SI-10", "FSBP-ELB.4"),
    resource_types=LB_TYPES,
)
def lb_drop_invalid_headers(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Malformed headers passed on to targets are how HTTP request smuggling and desync attacks start."""
    if _lb_type(resource) != "application":
        return
    if not _flag(resource, "drop_invalid_header_fields"):
        yield violation(resource, "drop_invalid_header_fields is not true", path="drop_invalid_header_fields")


@policy(
    "elb.deletion-protection",
    title="Load balancers have deletion protection",
    severity="low",
    controls=("NIST-SC-5", "NIST-CM-3", "FSBP-ELB.6"),
    resource_types=LB_TYPES,
)
def lb_deletion_protection(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Deleting a load balancer takes its DNS name with it: every client and alias pointing there breaks."""
    if not _flag(resource, "enable_deletion_protection"):
        yield violation(resource, "enable_deletion_protection is not true", path="enable_deletion_protection")


def _redirects_to_https(resource: Resource) -> bool:
    actions = resource.get("default_action", None)
    for i, action in enumerate(as_list(actions, address=resource.address, path="default_action")):
        if not isinstance(action, Mapping):
            continue
        kind = require_known(action.get("type"), address=resource.address, path=f"default_action.{i}.type")
        if kind != "redirect":
            continue
        redirect = first_block(resource, f"default_action.{i}.redirect")
        protocol = None if redirect is None else require_known(
            redirect.get("protocol"), address=resource.address, path=f"default_action.{i}.redirect.0.protocol")
        if protocol == "HTTPS":
            return True
    return False


@policy(
    "elb.http-redirects-to-https",
    title="HTTP load balancer listeners only redirect to HTTPS",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-23", "FSBP-ELB.1"),
    resource_types=LISTENER_TYPES,
)
def lb_http_redirects(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A listener that serves plain HTTP sends cookies, tokens and form data in clear text."""
    protocol = setting(resource, "protocol") or "HTTP"
    if protocol != "HTTP":
        return
    if not _redirects_to_https(resource):
        yield violation(resource, "HTTP listener whose default action is not a redirect to HTTPS", value=protocol,
                        path="default_action")


@policy(
    "elb.listener-tls12",
    title="HTTPS and TLS load balancer listeners use a TLS 1.2+ security policy",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-13"),
    params={"allowed_policies": Param(TLS12_POLICIES, "ssl_policy name globs that accept TLS 1.2 or later only")},
    resource_types=LISTENER_TYPES,
)
def lb_listener_tls12(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """The default policy (ELBSecurityPolicy-2016-08) still accepts TLS 1.0 and 1.1."""
    if setting(resource, "protocol") not in ("HTTPS", "TLS"):
        return
    ssl_policy = setting(resource, "ssl_policy")
    if not any(fnmatch.fnmatchcase(str(ssl_policy), str(g)) for g in ctx.param("allowed_policies")):
        yield violation(resource, f"ssl_policy is {ssl_policy or 'not set (ELBSecurityPolicy-2016-08)'}, which "
                                  "accepts TLS before 1.2", value=ssl_policy, path="ssl_policy")


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
    if not _flag(resource, "image_scanning_configuration.0.scan_on_push"):
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
    if not _flag(resource, "vpc_config.0.endpoint_public_access", True):
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


# -- CloudFront ---------------------------------------------------------------------------------


def _cache_behaviors(resource: Resource) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key in ("default_cache_behavior", "ordered_cache_behavior"):
        if computed_unset(resource, key):
            continue
        for i, block in enumerate(as_list(resource.get(key, None), address=resource.address, path=key)):
            if isinstance(block, Mapping):
                path = f"{key}.{i}.viewer_protocol_policy"
                out.append((path, require_known(block.get("viewer_protocol_policy"), address=resource.address,
                                                path=path)))
    return out


@policy(
    "cloudfront.https-only",
    title="CloudFront distributions require HTTPS from viewers (no allow-all behaviour)",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-23", "FSBP-CloudFront.3"),
    resource_types=("aws_cloudfront_distribution",),
)
def cloudfront_https_only(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """One ``allow-all`` behaviour serves its paths, cookies included, over plain HTTP."""
    for path, value in _cache_behaviors(resource):
        if value == "allow-all":
            yield violation(resource, f"{path.split('.')[0]} viewer_protocol_policy is allow-all", value=value,
                            path=path)


@policy(
    "cloudfront.tls12",
    title="CloudFront distributions accept TLS 1.2 or later only (a custom certificate with a TLSv1.2 policy)",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-13", "FSBP-CloudFront.7"),
    resource_types=("aws_cloudfront_distribution",),
)
def cloudfront_tls12(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """TLS 1.0 and 1.1 have known weaknesses; the default *.cloudfront.net certificate always accepts TLSv1."""
    if _block(resource, "viewer_certificate") is None or _flag(
            resource, "viewer_certificate.0.cloudfront_default_certificate"):
        yield violation(resource, "uses the CloudFront default certificate, which accepts TLSv1",
                        path="viewer_certificate")
        return
    version = setting(resource, "viewer_certificate.0.minimum_protocol_version")
    if not str(version).startswith(("TLSv1.2", "TLSv1.3")):
        yield violation(resource, f"minimum_protocol_version is {version or 'not set (TLSv1)'}, below TLSv1.2",
                        value=version, path="viewer_certificate.0.minimum_protocol_version")


@policy(
    "cloudfront.access-logging",
    title="CloudFront distributions write access logs",
    severity="low",
    controls=("NIST-AU-2", "NIST-AU-12", "FSBP-CloudFront.5"),
    resource_types=("aws_cloudfront_distribution",),
)
def cloudfront_logging(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Edge access logs are the only record of who fetched what from the distribution."""
    if _block(resource, "logging_config") is None or not _required_set(resource, "logging_config.0.bucket"):
        yield violation(resource, "no logging_config with a bucket", path="logging_config")


@policy(
    "cloudfront.waf",
    title="CloudFront distributions are protected by a WAF web ACL",
    severity="medium",
    controls=("NIST-SC-7", "NIST-SI-4", "FSBP-CloudFront.6"),
    resource_types=("aws_cloudfront_distribution",),
)
def cloudfront_waf(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """The edge is the cheapest place to stop injection, bots and request floods before they reach the origin."""
    if not key_set(resource, "web_acl_id"):
        yield violation(resource, "web_acl_id is not set", path="web_acl_id")


# -- storage and data services ------------------------------------------------------------------


@policy(
    "efs.encrypted",
    title="EFS file systems are encrypted at rest",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-EFS.1"),
    resource_types=("aws_efs_file_system",),
)
def efs_encrypted(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Encryption cannot be added to an existing file system; its data and backups stay readable on the media."""
    if not _flag(resource, "encrypted"):
        yield violation(resource, "encrypted is not true", path="encrypted")


@policy(
    "elasticache.encryption-at-rest",
    title="ElastiCache replication groups are encrypted at rest",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-ElastiCache.4"),
    resource_types=("aws_elasticache_replication_group",),
)
def elasticache_at_rest(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Caches hold sessions and query results; unencrypted, their snapshots and swap expose them."""
    if not _flag(resource, "at_rest_encryption_enabled"):
        yield violation(resource, "at_rest_encryption_enabled is not true", path="at_rest_encryption_enabled")


@policy(
    "elasticache.encryption-in-transit",
    title="ElastiCache replication groups encrypt traffic in transit (TLS)",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-23", "FSBP-ElastiCache.5"),
    resource_types=("aws_elasticache_replication_group",),
)
def elasticache_in_transit(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without TLS anything on the network path reads session tokens and cached data as they pass."""
    if not _flag(resource, "transit_encryption_enabled"):
        yield violation(resource, "transit_encryption_enabled is not true", path="transit_encryption_enabled")


SEARCH_TYPES = ("aws_opensearch_domain", "aws_elasticsearch_domain")


@policy(
    "opensearch.encryption-at-rest",
    title="OpenSearch and Elasticsearch domains are encrypted at rest",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-Opensearch.1", "FSBP-ES.1"),
    resource_types=SEARCH_TYPES,
)
def search_at_rest(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Indexes copy the data they search; unencrypted, their volumes and snapshots expose all of it."""
    if not _flag(resource, "encrypt_at_rest.0.enabled"):
        yield violation(resource, "encrypt_at_rest.enabled is not true", path="encrypt_at_rest")


@policy(
    "opensearch.node-to-node-encryption",
    title="OpenSearch and Elasticsearch domains encrypt traffic between nodes",
    severity="medium",
    controls=("NIST-SC-8", "FSBP-Opensearch.3", "FSBP-ES.3"),
    resource_types=SEARCH_TYPES,
)
def search_node_to_node(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Shards and queries travel between nodes in clear text unless node-to-node encryption is on."""
    if not _flag(resource, "node_to_node_encryption.0.enabled"):
        yield violation(resource, "node_to_node_encryption.enabled is not true", path="node_to_node_encryption")


@policy(
    "opensearch.https-tls12",
    title="OpenSearch and Elasticsearch domains enforce HTTPS with a TLS 1.2 policy",
    severity="medium",
    controls=("NIST-SC-8", "NIST-SC-13", "FSBP-Opensearch.8", "FSBP-ES.8"),
    resource_types=SEARCH_TYPES,
)
def search_https(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A domain that accepts plain HTTP or TLS 1.0 hands queries and credentials to anyone on the path."""
    https = _flag(resource, "domain_endpoint_options.0.enforce_https")
    tls = setting(resource, "domain_endpoint_options.0.tls_security_policy")
    if not https:
        yield violation(resource, "domain_endpoint_options.enforce_https is not true",
                        path="domain_endpoint_options.0.enforce_https")
    if not str(tls).startswith(("Policy-Min-TLS-1-2", "Policy-Min-TLS-1-3")):
        yield violation(resource, f"tls_security_policy is {tls or 'not set (Policy-Min-TLS-1-0-2019-07)'}, "
                                  "not a TLS 1.2 policy", value=tls,
                        path="domain_endpoint_options.0.tls_security_policy")


@policy(
    "kinesis.encryption",
    title="Kinesis data streams are encrypted with KMS",
    severity="medium",
    controls=("NIST-SC-28", "FSBP-Kinesis.1"),
    resource_types=("aws_kinesis_stream",),
)
def kinesis_encryption(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Records rest in the stream for its whole retention period; unencrypted, they are readable on the media."""
    kind = setting(resource, "encryption_type")
    if kind != "KMS":
        yield violation(resource, f"encryption_type is {kind or 'not set (NONE)'}, not KMS", value=kind,
                        path="encryption_type")


@policy(
    "firehose.encryption",
    title="Firehose delivery streams encrypt buffered data (server-side encryption)",
    severity="medium",
    controls=("NIST-SC-28", "NIST-SC-12"),
    resource_types=("aws_kinesis_firehose_delivery_stream",),
)
def firehose_encryption(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Direct-put records wait in Firehose's buffer until delivered; a Kinesis stream source encrypts its own."""
    if _block(resource, "kinesis_source_configuration") is not None:
        return  # Firehose refuses SSE with a Kinesis stream source: kinesis.encryption covers the source
    if not _flag(resource, "server_side_encryption.0.enabled"):
        yield violation(resource, "server_side_encryption.enabled is not true", path="server_side_encryption")


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
    if not _flag(resource, "environment.0.privileged_mode"):
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


@policy(
    "wafv2.logging",
    title="WAF web ACLs log the requests they inspect",
    severity="low",
    controls=("NIST-AU-2", "NIST-AU-12", "NIST-SI-4"),
    resource_types=("aws_wafv2_web_acl",),
)
def wafv2_logging(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Without logs nobody can tell which requests a rule blocked, let pass, or should have stopped."""
    links = linked(plan, "aws_wafv2_web_acl_logging_configuration", "resource_arn", resource, attrs=("arn",))
    if links.sure:
        return
    if links.maybe:
        yield maybe_links(resource, "logging configuration", links.maybe)
        return
    yield missing(plan, resource, "no aws_wafv2_web_acl_logging_configuration for this web ACL")
