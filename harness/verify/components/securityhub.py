"""securityhub: the hub is enabled with consolidated control findings, the stack's standards are
subscribed (and no others), and the finding aggregator exists when the stack enables it."""

from __future__ import annotations

from typing import Any

from harness.verify.context import Checker, error_code

COMPONENT = "securityhub"


def standards_arns(region: str, cis_version: str, partition: str = "aws") -> dict[str, str]:
    """Standard name => subscription ARN, as components/terraform/securityhub/main.tf builds them."""
    base = f"arn:{partition}:securityhub:{region}::standards"
    return {"aws-foundational-security-best-practices": f"{base}/aws-foundational-security-best-practices/v/1.0.0",
            "cis-aws-foundations-benchmark": f"{base}/cis-aws-foundations-benchmark/v/{cis_version}",
            "nist-800-53": f"{base}/nist-800-53/v/5.0.0"}


def validate(ctx: Checker) -> None:
    hub = ctx.client("securityhub")

    def find() -> dict[str, Any] | None:
        try:
            return dict(hub.describe_hub())
        except Exception as exc:
            if error_code(exc) in ("InvalidAccessException", "ResourceNotFoundException"):
                return None
            raise

    ctx.exists("securityhub.enabled", f"Security Hub enabled in {ctx.region}", find,
               label=lambda h: str(h.get("HubArn")))
    need = "securityhub.enabled"

    def controls() -> dict[str, Any]:
        described = hub.describe_hub()
        return {"control_finding_generator": described.get("ControlFindingGenerator"),
                "auto_enable_controls": described.get("AutoEnableControls")}

    ctx.check("securityhub.controls", {"control_finding_generator": "SECURITY_CONTROL", "auto_enable_controls": True},
              controls, needs=need)

    def expected_standards() -> list[str]:
        arns = standards_arns(str(ctx.var("region")), str(ctx.var("cis_benchmark_version")))
        return sorted(arns[s] for s in ctx.var("standards") or [])

    def standards() -> list[str]:
        found: list[str] = []
        for page in hub.get_paginator("get_enabled_standards").paginate():
            found.extend(s["StandardsArn"] for s in page.get("StandardsSubscriptions") or []
                         if s.get("StandardsStatus") in ("READY", "PENDING", "INCOMPLETE"))
        return sorted(found)

    ctx.check("securityhub.standards", expected_standards, standards, needs=need)

    def aggregators() -> list[str]:
        found = hub.list_finding_aggregators().get("FindingAggregators") or []
        modes = []
        for aggregator in found:
            arn = aggregator["FindingAggregatorArn"]
            modes.append(str(hub.get_finding_aggregator(FindingAggregatorArn=arn).get("RegionLinkingMode")))
        return sorted(modes)

    ctx.check("securityhub.finding_aggregator", lambda: ["ALL_REGIONS"] if ctx.var("finding_aggregator_enabled") else [],
              aggregators, needs=need)
