"""Detection policies: GuardDuty detectors and their protection plans, Security Hub standards."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from harness.plan import Plan, Resource, Undetermined, Unknown, require_known
from harness.policy.helpers import computed_unset, is_true, linked, live, missing
from harness.policy.model import Param, PolicyContext, Violation, undetermined, violation
from harness.policy.registry import policy


@policy(
    "guardduty.enabled",
    title="GuardDuty detectors are enabled",
    severity="high",
    controls=("NIST-SI-4", "NIST-IR-4", "FSBP-GuardDuty.1"),
    resource_types=("aws_guardduty_detector",),
)
def guardduty_enabled(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A disabled detector looks like coverage in the inventory while detecting nothing."""
    enable = require_known(resource.get("enable", True), address=resource.address, path="enable")
    if not is_true(enable) and enable is not None:
        yield violation(resource, "detector is disabled (enable = false)", value=enable, path="enable")


#: Detector features and where the legacy ``datasources`` block of the detector switches them on.
LEGACY_DATASOURCES = {
    "S3_DATA_EVENTS": "datasources.0.s3_logs.0.enable",
    "EKS_AUDIT_LOGS": "datasources.0.kubernetes.0.audit_logs.0.enable",
    "EBS_MALWARE_PROTECTION": ("datasources.0.malware_protection.0.scan_ec2_instance_with_findings.0"
                               ".ebs_volumes.0.enable"),
}

DEFAULT_FEATURES = ["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
                    "LAMBDA_NETWORK_LOGS"]


def _name(feature: Resource) -> str | None:
    """The feature's name, None when unknown."""
    name = feature.get("name", None)
    return name if isinstance(name, str) else None


@policy(
    "guardduty.features",
    title="GuardDuty detectors enable the required protection plans",
    severity="medium",
    controls=("NIST-SI-4", "NIST-SI-3"),
    params={"features": Param(DEFAULT_FEATURES, "detector feature names that must be ENABLED")},
    resource_types=("aws_guardduty_detector",),
)
def guardduty_features(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Each protection plan watches one data source; a missing plan is a blind spot attackers can use."""
    links = linked(plan, "aws_guardduty_detector_feature", "detector_id", resource, attrs=("id",))
    for feature in [str(f) for f in ctx.param("features")]:
        named = [f for f in links.sure if _name(f) == feature]
        maybe = [f for f in links.maybe if _name(f) in (feature, None)]
        if named:
            status = require_known(named[0].get("status", None), address=named[0].address, path="status")
            if status != "ENABLED":
                yield violation(named[0], f"required feature {feature} has status {status}", value=status,
                                path="status")
            continue
        legacy = LEGACY_DATASOURCES.get(feature)
        value = None if legacy is None or computed_unset(resource, legacy) else resource.get(legacy, None)
        if isinstance(value, Unknown):
            yield undetermined(resource, Undetermined(value.reason, address=resource.address, path=legacy,
                                                      ref=value.ref))
            continue
        if is_true(value):
            continue
        if maybe:
            yield undetermined(resource, f"cannot tell whether feature resource {maybe[0].address} belongs to "
                                         f"{resource.address} (the reference is only known after apply)")
            continue
        yield missing(plan, resource, f"required feature {feature} is not enabled on this detector", value=feature)


_STANDARD = re.compile(r":(?:standards|ruleset)/([^/]+)(?:/v/([^/]+))?")


def required_standards(ctx: PolicyContext) -> list[str]:
    """``settings.harness.securityhub.required_standards``, else the ``standards`` param."""
    section = ctx.harness.get("securityhub")
    if isinstance(section, Mapping) and section.get("required_standards") is not None:
        return [str(s) for s in section["required_standards"]]
    return [str(s) for s in ctx.param("standards")]


def _matches(required: str, name: str, version: str | None) -> bool:
    want, _, want_version = required.partition("/v/")
    return want == name and (not want_version or want_version == version)


@policy(
    "securityhub.standards",
    title="Security Hub subscribes to the standards the stack requires",
    severity="medium",
    controls=("NIST-CA-7", "NIST-SI-4"),
    params={"standards": Param(["aws-foundational-security-best-practices"],
                               "standard names (optionally name/v/version) when the stack's "
                               "settings.harness.securityhub.required_standards is not set")},
    applies_to=("aws_securityhub_account", "aws_securityhub_standards_subscription"),
)
def securityhub_standards(plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Security Hub without its standards runs no controls: the console shows a score of nothing."""
    accounts = live(plan, "aws_securityhub_account")
    subscriptions = live(plan, "aws_securityhub_standards_subscription")
    if not accounts and not subscriptions:
        return
    anchor = accounts[0] if accounts else None
    found: list[tuple[str, str | None]] = []
    unknown: list[Any] = []
    for sub in subscriptions:
        arn = sub.get("standards_arn", None)
        if isinstance(arn, Unknown):
            unknown.append(Undetermined(arn.reason, address=sub.address, path="standards_arn", ref=arn.ref))
            continue
        match = _STANDARD.search(str(arn))
        if match:
            found.append((match.group(1), match.group(2)))
    if anchor is not None:
        default = anchor.get("enable_default_standards", None)
        if is_true(default):
            found.append(("aws-foundational-security-best-practices", None))
            found.append(("cis-aws-foundations-benchmark", "1.2.0"))
    for required in required_standards(ctx):
        if any(_matches(required, name, version) for name, version in found):
            continue
        if unknown:
            yield undetermined(anchor, unknown[0])
            continue
        yield missing(plan, anchor, f"required standard {required} is not subscribed", value=required)

