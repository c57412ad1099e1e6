"""The workload pack (Lambda, load balancers, ECR, EKS, CloudFront, EFS, ElastiCache, OpenSearch, Kinesis,
CodeBuild, ECS, WAF) beyond its table rows: every policy has its passing, failing and undetermined plan in
``test_builtin_policies.CASES`` (where the every-policy-has-a-case check looks for them); here are the
parameters, the finding details, plan JSON shapes (computed blocks, nested unknowns) and the real oracle plans."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from harness.engines.recorded import load_plan_file, plan_from_json
from harness.plan import Deferred, Plan
from harness.policy import PolicyContext, Severity, catalog, default_registry, evaluate
from harness.policy.packs import data_services, edge, workloads

from ..oracle import ORACLE
from .conftest import U, failed, plan, res, run, undetermined_at
from .test_builtin_policies import FORWARD, cdn, eks, fn, listener, task

WORKLOAD_POLICIES = {
    "lambda.env-kms", "lambda.xray-tracing", "lambda.dead-letter-queue", "lambda.in-vpc", "lambda.no-public-access",
    "elb.access-logs", "elb.drop-invalid-headers", "elb.deletion-protection", "elb.http-redirects-to-https",
    "elb.listener-tls12", "ecr.immutable-tags", "ecr.scan-on-push", "ecr.kms", "eks.private-endpoint",
    "eks.secrets-encryption", "eks.control-plane-logging", "cloudfront.https-only", "cloudfront.tls12",
    "cloudfront.access-logging", "cloudfront.waf", "efs.encrypted", "elasticache.encryption-at-rest",
    "elasticache.encryption-in-transit", "opensearch.encryption-at-rest", "opensearch.node-to-node-encryption",
    "opensearch.https-tls12", "kinesis.encryption", "firehose.encryption", "codebuild.kms",
    "codebuild.no-privileged-mode", "ecs.no-privileged-containers", "ecs.read-only-root-filesystem", "wafv2.logging",
}


def test_the_pack_registers_each_policy_with_a_rationale_and_nist_controls() -> None:
    packs = {workloads.__name__, edge.__name__, data_services.__name__}
    mine = [p for p in default_registry() if p.check.__module__ in packs]
    assert {p.id for p in mine} == WORKLOAD_POLICIES
    for item in mine:
        assert item.origin == "builtin" and item.resource_types and item.rationale, item.id
        assert any(c.startswith("NIST-") for c in item.controls), item.id
    fsbp = {p.id: [c for c in p.controls if c.startswith("FSBP-")] for p in mine}
    assert fsbp["eks.private-endpoint"] == ["FSBP-EKS.1"]
    assert fsbp["opensearch.https-tls12"] == ["FSBP-Opensearch.8", "FSBP-ES.8"]
    assert fsbp["lambda.xray-tracing"] == [] and fsbp["wafv2.logging"] == []  # no FSBP control claimed


# -- parameters ---------------------------------------------------------------------------------


def test_eks_public_endpoint_with_restricted_cidrs_fails_when_not_allowed() -> None:
    the_plan = plan(eks("c", endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24"]))
    assert failed(run("eks.private-endpoint", the_plan)) == set()
    [finding] = run("eks.private-endpoint", the_plan, allow_restricted_cidrs=False).failures
    assert finding.message == "endpoint_public_access is true"
    assert finding.severity is Severity.HIGH and "FSBP-EKS.1" in finding.controls


def test_eks_required_log_types_come_from_the_param() -> None:
    the_plan = plan(eks("c", top={"enabled_cluster_log_types": ["api", "audit", "authenticator"]}))
    assert failed(run("eks.control-plane-logging", the_plan)) == set()
    [finding] = run("eks.control-plane-logging", the_plan,
                    log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"]).failures
    assert finding.value == ["controllerManager", "scheduler"]
    assert finding.message == "enabled_cluster_log_types lacks controllerManager, scheduler"


def test_network_load_balancers_log_only_when_the_param_names_them() -> None:
    the_plan = plan(res("aws_lb.nlb", {"load_balancer_type": "network"}))
    assert failed(run("elb.access-logs", the_plan)) == set()
    assert failed(run("elb.access-logs", the_plan, load_balancer_types=["application", "network"])) == {"aws_lb.nlb"}


def test_listener_policies_are_globs() -> None:
    the_plan = plan(listener("https", "HTTPS", FORWARD, ssl_policy="ELBSecurityPolicy-FS-1-1-2019-08"))
    [finding] = run("elb.listener-tls12", the_plan).failures
    assert finding.path == "ssl_policy" and finding.value == "ELBSecurityPolicy-FS-1-1-2019-08"
    assert failed(run("elb.listener-tls12", the_plan, allowed_policies=["ELBSecurityPolicy-FS-*"])) == set()


def test_privileged_builds_allowed_by_name_need_a_known_name() -> None:
    project = res("aws_codebuild_project.p", {"name": U("var.project_name"),
                                              "environment": [{"privileged_mode": True}]})
    assert failed(run("codebuild.no-privileged-mode", plan(project))) == {"aws_codebuild_project.p"}
    result = run("codebuild.no-privileged-mode", plan(project), allowed_projects=["docker-*"])
    assert undetermined_at(result) == {"aws_codebuild_project.p"} and not result.failures


# -- finding details ----------------------------------------------------------------------------


def test_each_allow_all_behaviour_is_named_by_its_path() -> None:
    the_plan = plan(cdn("site", default="allow-all", ordered=["https-only", "allow-all"]))
    found = {(f.path, f.message) for f in run("cloudfront.https-only", the_plan).failures}
    assert found == {("default_cache_behavior.0.viewer_protocol_policy",
                      "default_cache_behavior viewer_protocol_policy is allow-all"),
                     ("ordered_cache_behavior.1.viewer_protocol_policy",
                      "ordered_cache_behavior viewer_protocol_policy is allow-all")}


def test_opensearch_reports_https_and_tls_policy_apart() -> None:
    the_plan = plan(res("aws_opensearch_domain.d", {"domain_endpoint_options": [{"enforce_https": False}]}))
    found = sorted((f.path or "", f.message) for f in run("opensearch.https-tls12", the_plan).failures)
    assert found == [("domain_endpoint_options.0.enforce_https", "domain_endpoint_options.enforce_https is not true"),
                     ("domain_endpoint_options.0.tls_security_policy",
                      "tls_security_policy is not set (Policy-Min-TLS-1-0-2019-07), not a TLS 1.2 policy")]


def test_ecs_findings_name_the_containers() -> None:
    the_plan = plan(task("t", {"name": "app", "privileged": True, "readonlyRootFilesystem": True},
                         {"name": "log-router", "privileged": "true"}, {"name": "proxy"}))
    [privileged] = run("ecs.no-privileged-containers", the_plan).failures
    assert privileged.value == ["app", "log-router"] and privileged.path == "container_definitions"
    [writable] = run("ecs.read-only-root-filesystem", the_plan).failures
    assert writable.message == "container(s) without readonlyRootFilesystem: log-router, proxy"
    bad = plan(res("aws_ecs_task_definition.t", {"container_definitions": "[{"}))
    [finding] = run("ecs.read-only-root-filesystem", bad).failures
    assert finding.message.startswith("container_definitions is not valid JSON: ")


def test_lambda_env_values_known_after_apply_still_need_a_key() -> None:
    the_plan = plan(fn("a", environment=[{"variables": {"QUEUE_URL": U("aws_sqs_queue.q.url")}}]))
    [finding] = run("lambda.env-kms", the_plan).failures
    assert finding.value == ["QUEUE_URL"] and finding.path == "kms_key_arn"
    unknown_map = plan(fn("a", environment=[{"variables": U("var.environment")}]))
    assert undetermined_at(run("lambda.env-kms", unknown_map)) == {"aws_lambda_function.a"}


def test_public_access_function_urls_and_conditions() -> None:
    url = plan(res("aws_lambda_function_url.u", {"authorization_type": U("var.auth")}))
    assert undetermined_at(run("lambda.no-public-access", url)) == {"aws_lambda_function_url.u"}
    org = plan(res("aws_lambda_permission.org", {"principal": "*", "principal_org_id": "o-abc123"}),
               res("aws_lambda_permission.both", {"principal": "*", "source_arn": U("var.caller"),
                                                  "source_account": "111122223333"}))
    assert run("lambda.no-public-access", org).findings == []  # a known condition settles an unknown one


def test_waf_logging_matches_a_known_arn_and_is_undetermined_when_the_plan_is_incomplete() -> None:
    arn = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/edge/1"
    known = plan(res("aws_wafv2_web_acl.edge", {"arn": arn}),
                 res("aws_wafv2_web_acl_logging_configuration.edge", {"resource_arn": arn}))
    assert run("wafv2.logging", known).findings == []
    incomplete = Plan(stack="acme-ue1-prod", component="c", engine="static", complete=False,
                      resources=(res("aws_wafv2_web_acl.edge", {"name": "edge"}),),
                      unexpanded=(Deferred("module.waf_logs", "registry module"),))
    result = run("wafv2.logging", incomplete)
    assert undetermined_at(result) == {"aws_wafv2_web_acl.edge"} and "module.waf_logs" in result.undetermined[0].message


# -- plan JSON shapes ---------------------------------------------------------------------------


def _change(type_: str, name: str, after: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
    return {"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name,
            "change": {"actions": ["create"], "after": after, "after_unknown": unknown}}


def _recorded() -> Plan:
    """``terraform show -json`` shapes: computed attributes and every nested unknown are named after themselves."""
    changes = [
        _change("aws_lambda_function", "fn", {
            "function_name": "fn", "kms_key_arn": None, "environment": [{"variables": {"MODE": "prod"}}],
            "dead_letter_config": [{}], "vpc_config": [{"security_group_ids": ["sg-1"]}]}, {
            "kms_key_arn": True, "tracing_config": True, "dead_letter_config": [{"target_arn": True}],
            "vpc_config": [{"subnet_ids": True, "vpc_id": True}]}),
        _change("aws_lb_listener", "http", {"port": 80, "protocol": "HTTP", "default_action": [
            {"type": "redirect", "redirect": [{"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}]}]},
            {"ssl_policy": True, "load_balancer_arn": True}),
        _change("aws_lb_listener", "https", {"port": 443, "protocol": "HTTPS", "default_action": [
            {"type": "forward"}]}, {"ssl_policy": True, "load_balancer_arn": True}),
        _change("aws_eks_cluster", "c", {"name": "c", "enabled_cluster_log_types": None, "encryption_config": [],
                                         "vpc_config": [{"endpoint_public_access": False}]},
                {"vpc_config": [{"public_access_cidrs": True, "subnet_ids": True}]}),
        _change("aws_kms_key", "k", {}, {"arn": True}),
    ]
    config = {"root_module": {"resources": [{"address": "aws_lambda_function.fn", "expressions": {
        "kms_key_arn": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}}}]}}
    return plan_from_json({"format_version": "1.2", "resource_changes": changes, "configuration": config},
                          stack="acme-ue1-prod", component="c")


def test_plan_json_computed_blocks_and_nested_unknowns() -> None:
    result = evaluate(_recorded(), PolicyContext(stack="acme-ue1-prod", component="c"),
                      sorted(WORKLOAD_POLICIES), today=dt.date(2026, 3, 1))
    assert not result.errors
    assert {(str(f.outcome), f.policy, f.address) for f in result.findings} == {
        ("fail", "lambda.xray-tracing", "aws_lambda_function.fn"),  # tracing_config computed: PassThrough
        ("fail", "elb.listener-tls12", "aws_lb_listener.https"),  # ssl_policy computed: the 2016-08 default
        ("fail", "eks.secrets-encryption", "aws_eks_cluster.c"),
        ("fail", "eks.control-plane-logging", "aws_eks_cluster.c"),
    }
    # the key is the one the configuration references; the DLQ and subnets are set, known after apply
    assert {"lambda.env-kms", "lambda.dead-letter-queue", "lambda.in-vpc", "elb.http-redirects-to-https",
            "eks.private-endpoint"} <= set(result.passed)


# -- the oracle plans ---------------------------------------------------------------------------

PLANS = ORACLE / "plans"
RUNNER: set[tuple[str, str, str | None]] = {
    *{("fail", pid, "aws_lambda_function.analysis_lambda")
      for pid in ("lambda.env-kms", "lambda.xray-tracing", "lambda.dead-letter-queue", "lambda.in-vpc")},
    *{("fail", pid, "aws_ecr_repository.repository") for pid in ("ecr.immutable-tags", "ecr.scan-on-push", "ecr.kms")},
    *{("fail", pid, "aws_eks_cluster.eks_cluster")
      for pid in ("eks.private-endpoint", "eks.secrets-encryption", "eks.control-plane-logging")},
    *{("fail", pid, "aws_elasticsearch_domain.monitoring-framework")
      for pid in ("opensearch.encryption-at-rest", "opensearch.node-to-node-encryption", "opensearch.https-tls12")},
    ("fail", "elb.access-logs", "aws_elb.weblb"),
}


@pytest.mark.parametrize(("name", "expected"), [
    ("checkov-runner-plan__tfplan.json", RUNNER),
    # a lambda permission for events.amazonaws.com: not public
    ("terraform-compliance-issue796__plan.out.json", set()),
    ("checkov-for-each-enrichment__tf_plan.json", set()),
    ("checkov-github-oidc__tfplan.json", set()),
    ("checkov-nested-child-modules__tfplan.json", set()),
    ("trivy-tfjson__module_call.json", set()),
])
def test_the_workload_pack_on_the_oracle_plans(name: str, expected: set[tuple[str, str, str | None]]) -> None:
    if not (PLANS / name).is_file():
        pytest.skip(f"oracle plans not found at {PLANS} (set HARNESS_ORACLE_DIR)")
    the_plan = load_plan_file(PLANS / name, stack="oracle", component=name.split("__")[0])
    policies = [p for p in catalog() if p.id in WORKLOAD_POLICIES]
    result = evaluate(the_plan, PolicyContext(stack="oracle", component="c"), policies, today=dt.date(2026, 1, 1))
    assert result.errors == []
    assert {(str(f.outcome), f.policy, f.address) for f in result.findings} == expected


def test_runner_plan_workload_details() -> None:
    """The deliberately insecure function keeps two plain-text keys in its environment."""
    if not (PLANS / "checkov-runner-plan__tfplan.json").is_file():
        pytest.skip(f"oracle plans not found at {PLANS}")
    the_plan = load_plan_file(PLANS / "checkov-runner-plan__tfplan.json", stack="oracle", component="c")
    result = evaluate(the_plan, PolicyContext(stack="oracle", component="c"),
                      ["lambda.env-kms", "eks.private-endpoint"], today=dt.date(2026, 1, 1))
    by_policy = {f.policy: f for f in result.failures}
    assert by_policy["lambda.env-kms"].value == ["access_key", "secret_key"]
    assert by_policy["eks.private-endpoint"].message == ("public endpoint open to 0.0.0.0/0 "
                                                         "(public_access_cidrs not set)")
    assert json.dumps(result.to_json())  # findings serialise (no Unknown or Sensitive leaks into values)
