"""The policy framework: decorator and registry, selection and thresholds from settings, errors, catalog."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.plan import Plan, Resource, Undetermined
from harness.policy import (
    Outcome,
    PolicyContext,
    PolicyError,
    Registry,
    Severity,
    Violation,
    catalog,
    evaluate,
    format_table,
    threshold_failures,
    to_json,
    use_registry,
    violation,
)
from harness.policy import policy as policy_decorator

from .conftest import TODAY, U, ctx, plan, res

OPEN_SSH = res("aws_security_group_rule.ssh", {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 22,
                                                "to_port": 22, "protocol": "tcp"})
OPEN_EGRESS = res("aws_vpc_security_group_egress_rule.all", {"cidr_ipv4": "0.0.0.0/0", "ip_protocol": "-1"})
BUCKET = res("aws_s3_bucket.b", {"bucket": "b"})


def run_all(the_plan: Plan, settings: dict[str, Any] | None = None, **kw: Any) -> Any:
    return evaluate(the_plan, ctx(settings), today=TODAY, **kw)


def test_severity_is_ordered_and_parsed() -> None:
    assert Severity.CRITICAL > Severity.HIGH > Severity.MEDIUM > Severity.LOW > Severity.INFO
    assert Severity.parse("High") is Severity.HIGH and str(Severity.LOW) == "low"
    with pytest.raises(PolicyError, match="unknown severity 'warning'"):
        Severity.parse("warning")


def test_decorator_registers_metadata_and_returns_the_function(registry: Registry) -> None:
    with use_registry(registry):
        @policy_decorator("team.no-buckets", title="No buckets", severity="low", controls=("NIST-CM-7",),
                          params={"allowed": ["logs"]}, resource_types=("aws_s3_bucket",))
        def no_buckets(resource: Resource, the_plan: Plan, context: PolicyContext) -> Iterator[Violation]:
            """Buckets belong to the data team."""
            if resource.get("bucket") not in context.param("allowed"):
                yield violation(resource, "a bucket", value=resource.get("bucket"))

    item = registry.get("team.no-buckets")
    assert item.rationale == "Buckets belong to the data team."
    assert item.defaults == {"allowed": ["logs"]} and item.severity is Severity.LOW
    assert no_buckets.__policy__ is item  # type: ignore[attr-defined]
    result = evaluate(plan(BUCKET), ctx(), ["team.no-buckets"], registry=registry, today=TODAY)
    assert [(f.policy, f.address, f.value) for f in result.failures] == [("team.no-buckets", "aws_s3_bucket.b", "b")]
    assert "team.no-buckets" not in [p.id for p in catalog()]  # the default registry is untouched


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"id": "NoDots"}, "must be dotted lower-case words"),
    ({"severity": "urgent"}, "unknown severity"),
    ({"controls": ("cis 5.2",)}, "control id 'cis 5.2' must look like"),
])
def test_decorator_rejects_bad_metadata(registry: Registry, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"id": "team.x", "title": "x", "severity": "low", **kwargs}
    with use_registry(registry), pytest.raises(PolicyError, match=message):
        policy_decorator(args.pop("id"), **args)


def test_duplicate_ids_are_rejected(registry: Registry) -> None:
    with use_registry(registry), pytest.raises(PolicyError, match=r"'network\.no-public-ingress' is defined twice"):
        @policy_decorator("network.no-public-ingress", title="again", severity="low")
        def again(the_plan: Plan, context: PolicyContext) -> None:
            return None


def test_plan_level_policy_undetermined_and_crash_are_reported(registry: Registry) -> None:
    with use_registry(registry):
        @policy_decorator("team.needs-vpc-id", title="t", severity="high")
        def needs(the_plan: Plan, context: PolicyContext) -> Iterator[Violation]:
            for r in the_plan.resources(type="aws_subnet"):
                if r.known("vpc_id") != "vpc-1":
                    yield violation(r, "wrong vpc")

        @policy_decorator("team.crash", title="t", severity="low")
        def crash(the_plan: Plan, context: PolicyContext) -> None:
            raise KeyError("boom")

    the_plan = plan(res("aws_subnet.a", {"vpc_id": U("aws_vpc.main.id")}))
    result = evaluate(the_plan, ctx(), ["team.needs-vpc-id", "team.crash"], registry=registry, today=TODAY)
    [und] = result.undetermined
    assert und.address == "aws_subnet.a" and "aws_vpc.main.id" in und.message
    assert und.outcome is Outcome.UNDETERMINED
    assert result.errors == ["acme-ue1-prod/c: policy team.crash (builtin) failed: KeyError: 'boom'"]
    assert result.passed == []


def test_resource_level_undetermined_only_concerns_that_resource(registry: Registry) -> None:
    with use_registry(registry):
        @policy_decorator("team.subnets", title="t", severity="high", resource_types=("aws_subnet",))
        def subnets(resource: Resource, the_plan: Plan, context: PolicyContext) -> Iterator[Violation]:
            if resource.known("map_public_ip_on_launch"):
                yield violation(resource, "public")

    the_plan = plan(res("aws_subnet.a", {"map_public_ip_on_launch": U("x.y")}),
                    res("aws_subnet.b", {"map_public_ip_on_launch": True}))
    result = evaluate(the_plan, ctx(), ["team.subnets"], registry=registry, today=TODAY)
    assert [(str(f.outcome), f.address) for f in result.findings] == [("fail", "aws_subnet.b"),
                                                                       ("undetermined", "aws_subnet.a")]
    with pytest.raises(Undetermined):
        the_plan.resource("aws_subnet.a").known("map_public_ip_on_launch")


def test_default_runs_every_policy_and_reports_passes() -> None:
    result = run_all(plan(OPEN_SSH))
    found = {f.policy for f in result.findings}
    assert len(result.passed) + len(result.not_applicable) + len(found) == len(catalog())
    assert "s3.tls-only" in result.not_applicable and "s3.tls-only" not in result.passed  # no bucket: nothing passed
    assert "tags.required" in result.passed and not result.empty
    assert {f.policy for f in result.failures} == {"network.no-public-admin-ports", "network.no-public-ingress"}
    assert result.failures[0].severity is Severity.CRITICAL  # most severe first


def test_enabled_and_disabled_globs() -> None:
    settings = {"harness": {"policies": {"enabled": ["network.*"], "disabled": ["network.no-public-admin-ports"]}}}
    result = run_all(plan(OPEN_SSH), settings)
    assert {f.policy for f in result.findings} == {"network.no-public-ingress"}
    assert "s3.tls-only" in result.skipped and "network.no-public-admin-ports" in result.skipped
    assert all(p.startswith("network.") for p in result.passed)


def test_severity_threshold_skips_lower_policies() -> None:
    the_plan = plan(OPEN_SSH, OPEN_EGRESS)
    assert {f.policy for f in run_all(the_plan).failures} >= {"network.unrestricted-egress"}
    result = run_all(the_plan, {"harness": {"policies": {"severity_threshold": "high"}}})
    assert {f.policy for f in result.failures} == {"network.no-public-admin-ports", "network.no-public-ingress"}
    assert "network.unrestricted-egress" in result.skipped


def test_threshold_failures_for_a_ci_gate() -> None:
    result = run_all(plan(OPEN_SSH, OPEN_EGRESS))
    assert {f.policy for f in threshold_failures(result, "critical")} == {"network.no-public-admin-ports"}
    assert len(threshold_failures(result)) == len(result.failures)


def test_params_from_settings() -> None:
    settings = {"harness": {"policies": {"params": {"network.no-public-ingress": {"allowed_ports": [22]}}}}}
    result = run_all(plan(OPEN_SSH), settings)
    assert {f.policy for f in result.failures} == {"network.no-public-admin-ports"}


def test_explicit_policy_list_narrows_but_settings_still_apply() -> None:
    settings = {"harness": {"policies": {"disabled": ["network.no-public-ingress"]}}}
    result = run_all(plan(OPEN_SSH), settings, policies=["network.no-public-ingress", "network.vpc-flow-logs"])
    assert result.skipped == ["network.no-public-ingress"] and result.not_applicable == ["network.vpc-flow-logs"]
    assert result.passed == []


@pytest.mark.parametrize(("policies", "message"), [
    ({"enable": ["x"]}, "unknown key(s) in settings.harness.policies: enable"),
    ({"enabled": ["netwrk.*"]}, "settings.harness.policies.enabled entry 'netwrk.*' matches no policy"),
    ({"disabled": "s3.nope"}, "settings.harness.policies.disabled entry 's3.nope' matches no policy"),
    ({"severity_threshold": "warning"}, "severity_threshold: unknown severity 'warning'"),
    ({"params": {"s3.nope": {}}}, "params names unknown policy 's3.nope'"),
    ({"params": {"s3.versioning": {"all": True}}}, "policy s3.versioning has no parameter(s) all "
                                                   "(declared: all_buckets, buckets)"),
    ({"enabled": [1]}, "must be a list of policy id globs"),
    (["network.*"], "settings.harness.policies must be a mapping"),
])
def test_bad_policy_settings_are_errors_naming_the_instance(policies: Any, message: str) -> None:
    result = run_all(plan(OPEN_SSH), {"harness": {"policies": policies}})
    [error] = result.errors
    assert error.startswith("acme-ue1-prod/c: ") and message in error
    assert result.findings == [] and not result.ok


def test_unknown_policy_in_the_explicit_list_is_an_error() -> None:
    result = run_all(plan(), policies=["network.nope"])
    assert result.errors == ["acme-ue1-prod/c: unknown policy 'network.nope' (known in that group: "
                             + ", ".join(p.id for p in catalog() if p.id.startswith("network.")) + ")"]


def test_finding_and_result_json() -> None:
    result = run_all(plan(OPEN_SSH), policies=["network.no-public-ingress"])
    data = json.loads(json.dumps(result.to_json()))
    [finding] = data["findings"]
    assert finding == {
        "policy": "network.no-public-ingress", "severity": "high", "outcome": "fail", "stack": "acme-ue1-prod",
        "component": "c", "address": "aws_security_group_rule.ssh", "file": "main.tf", "line": 10, "path": None,
        "value": {"cidrs": ["0.0.0.0/0"], "protocol": "tcp", "from_port": 22, "to_port": 22},
        "message": "ingress from 0.0.0.0/0 (tcp 22)",
        "controls": ["NIST-AC-4", "NIST-SC-7", "FSBP-EC2.18", "FSBP-EC2.19"], "waiver": None}
    assert str(result.failures[0]) == ("[fail] high network.no-public-ingress acme-ue1-prod/c "
                                       "aws_security_group_rule.ssh (main.tf:10): ingress from 0.0.0.0/0 (tcp 22)")


def test_context_from_instance_reads_settings_vars_and_backend() -> None:
    from harness.atmos import Resolver, load_config
    from tests.unit.harness.conftest import REPO

    inst = Resolver(load_config(REPO)).instance("tfstate-backend", "core-ue1-root")
    context = PolicyContext.from_instance(inst)
    assert context.stack == "core-ue1-root" and context.stage == "root"
    assert context.backend_type == "s3" and context.backend["bucket"] == "acme-core-ue1-root-tfstate"
    assert "CostCenter" in context.harness["required_tags"]


def test_catalog_table_and_json() -> None:
    items = catalog()
    assert len(items) >= 25 and [p.id for p in items] == sorted(p.id for p in items)
    for item in items:
        assert item.title and item.rationale, item.id
        assert all(c.split("-")[0] in ("CIS", "NIST", "FSBP") for c in item.controls), item.id
    table = format_table()
    assert table.splitlines()[0].split() == ["ID", "SEVERITY", "SOURCE", "CONTROLS", "TITLE"]
    row = next(line for line in table.splitlines() if line.startswith("network.no-public-admin-ports "))
    assert row.split()[:4] == ["network.no-public-admin-ports", "critical", "builtin", "CIS-5.2,"]
    assert "params: ports=[22, 3389]" in table
    assert table.splitlines()[-1] == f"{len(items)} policies ({len(items)} builtin)"
    data = json.loads(to_json())
    entry = next(e for e in data if e["id"] == "s3.encryption-kms")
    assert entry["severity"] == "medium" and "CIS-2.1.1" in entry["controls"] and "FSBP-S3.17" in entry["controls"]
    assert json.loads(to_json([])) == [] and format_table([]) == "(no policies)\n"


def test_docs_list_every_policy_with_its_severity() -> None:
    from tests.unit.harness.conftest import REPO

    text = (REPO / "docs" / "policies.md").read_text()
    for item in catalog():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{item.id}` |")), None)
        assert row is not None, f"{item.id} missing from docs/policies.md"
        assert row.split("|")[2].strip() == str(item.severity), item.id
        assert all(c in row for c in item.controls), item.id
