"""Edge policies: load balancers, CloudFront and WAF (a web ACL is also read with its logging configuration,
tied by ``resource_arn``).

Each reads plain attributes of one resource. As in the other packs an attribute the configuration leaves
unset is "not configured" (a failure when the provider's default is the unsafe value) and one known only
after apply is undetermined (see :mod:`harness.policy.packs._settings`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from harness.plan import Plan, Resource, require_known
from harness.policy.helpers import (
    as_list,
    computed_unset,
    first_block,
    linked,
    maybe_links,
    missing,
)
from harness.policy.model import Param, PolicyContext, Violation, violation
from harness.policy.packs._settings import configured_block, flag, key_set, required_set, setting
from harness.policy.registry import policy

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
        enabled = (configured_block(resource, "access_logs") is not None
                   and flag(resource, "access_logs.0.enabled", True))
    else:
        if _lb_type(resource) not in [str(t) for t in ctx.param("load_balancer_types")]:
            return
        enabled = flag(resource, "access_logs.0.enabled")
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
    if not flag(resource, "drop_invalid_header_fields"):
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
    if not flag(resource, "enable_deletion_protection"):
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
    if configured_block(resource, "viewer_certificate") is None or flag(
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
    if configured_block(resource, "logging_config") is None or not required_set(resource, "logging_config.0.bucket"):
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
