"""The recorded engine loads every oracle plan (format 0.1 to 1.2) and synthetic edge cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.engines.base import PlanRequest
from harness.engines.recorded import RecordedEngine, load_plan_file, plan_from_json
from harness.errors import EvaluationError
from harness.plan import Plan, Unknown

from ..oracle import ORACLE

PLANS = ORACLE / "plans"
FILES = {
    "checkov-runner-plan__tfplan.json",
    "checkov-for-each-enrichment__tf_plan.json",
    "checkov-github-oidc__tfplan.json",
    "checkov-nested-child-modules__tfplan.json",
    "terraform-compliance-issue796__plan.out.json",
    "trivy-tfjson__module_call.json",
}


def _load(name: str) -> Plan:
    if not PLANS.is_dir():
        pytest.skip(f"oracle plans not found at {PLANS} (set HARNESS_ORACLE_DIR)")
    return load_plan_file(PLANS / name, stack="oracle", component=name.split("__")[0])


def test_every_oracle_plan_is_covered() -> None:
    if not PLANS.is_dir():
        pytest.skip(f"oracle plans not found at {PLANS}")
    assert {p.name for p in PLANS.glob("*.json")} == FILES


def test_checkov_runner_plan_format_0_1() -> None:
    plan = _load("checkov-runner-plan__tfplan.json")
    assert len(plan.resources(mode="managed")) == 55
    assert {r.actions for r in plan.resources(mode="managed")} == {("create",)}
    assert [r.address for r in plan.resources(mode="data")] == [
        "data.aws_ami.amazon-linux-2", "data.aws_caller_identity.current",
        "data.aws_iam_policy_document.iam_policy_eks", "data.aws_iam_policy_document.policy"]
    bucket = plan.resource("aws_s3_bucket.data")
    assert bucket.values["acl"] == "public-read"
    assert bucket.get("tags.Name") == "123456789123-acme-corp-data"
    assert isinstance(bucket.values["arn"], Unknown) and "arn" in bucket.unknown
    assert plan.resource("data.aws_caller_identity.current").values["account_id"] == "123456789123"
    assert isinstance(plan.outputs["db_app_public_dns"], Unknown)
    assert "company_name" in plan.variables
    assert plan.complete


def test_checkov_for_each_module_instances() -> None:
    plan = _load("checkov-for-each-enrichment__tf_plan.json")
    zones = plan.resources("aws_route53_zone.example")
    assert [z.index for z in zones] == ["example.com", "example2.eu"]
    sgs = plan.resources(type="aws_security_group")
    assert [s.module_address for s in sgs] == ['module.sg["awful_example"]', 'module.sg["bad_example"]',
                                               'module.sg["terrible_example"]']
    bad = plan.resource('module.sg["bad_example"].aws_security_group.bad')
    assert bad.get("ingress.0.cidr_blocks") == ["0.0.0.0/0"]
    assert len(plan.resources(mode="data")) == 2


def test_checkov_github_oidc_deferred_data_reads() -> None:
    plan = _load("checkov-github-oidc__tfplan.json")
    reads = plan.resources(type="aws_iam_policy_document")
    assert len(reads) == 4 and {r.actions for r in reads} == {("read",)}
    doc = plan.resource('module.poc.data.aws_iam_policy_document.r3["p1"]')
    assert doc.index == "p1" and doc.module_address == "module.poc"
    assert isinstance(doc.values["json"], Unknown)
    assert len(plan.resources(mode="managed")) == 5
    assert str(plan.resource("module.poc.aws_iam_openid_connect_provider.r5").source) == "module"


def test_checkov_nested_child_modules() -> None:
    plan = _load("checkov-nested-child-modules__tfplan.json")
    assert len(plan.resources(mode="managed")) == 9
    sub = plan.resource("module.s3_module.module.s3_submodule.aws_s3_bucket.submodule_bucket")
    assert sub.module_address == "module.s3_module.module.s3_submodule"
    assert str(sub.source) == "module/sub"
    assert plan.resource("module.s3_bucket.aws_s3_bucket.this[0]").index == 0
    assert plan.resource("module.s3_bucket.aws_s3_bucket.this[0]").source is None  # registry module


def test_terraform_compliance_count_module() -> None:
    plan = _load("terraform-compliance-issue796__plan.out.json")
    assert plan.addresses == ["module.outer[0].aws_lambda_permission.example",
                              "module.outer[0].module.inner.aws_cloudwatch_event_rule.example"]
    assert plan.resources(type="aws_cloudwatch_event_rule")[0].module_address == "module.outer[0].module.inner"


def test_trivy_newest_format() -> None:
    plan = _load("trivy-tfjson__module_call.json")
    [bucket] = plan.resources()
    assert bucket.address == "module.s3_bucket.aws_s3_bucket.main"
    assert bucket.values["bucket"] == "test" and bucket.values["region"] == "eu-west-1"
    assert str(bucket.source) == "modules/bucket"


def _doc(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": []}
    base.update(extra)
    return base


def _change(address: str, actions: list[str], **change: Any) -> dict[str, Any]:
    type_, name = address.split(".")[-2:]
    return {"address": address, "mode": "managed", "type": type_, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": actions, **change}}


def test_updates_deletes_replaces_unknowns_and_sensitive() -> None:
    data = _doc(resource_changes=[
        _change("aws_security_group_rule.a", ["update"], before={"from_port": 80}, after={"from_port": 443},
                after_unknown={}),
        _change("aws_secretsmanager_secret.s", ["delete", "create"], before={"name": "s"},
                after={"name": "s", "tags": {"a": "b"}, "rules": [{"x": 1}, {}]},
                after_unknown={"id": True, "rules": [False, {"y": True}], "arn": True},
                after_sensitive={"name": True, "rules": [{}, {"y": True}]}),
        _change("aws_sqs_queue.gone", ["delete"], before={"name": "q"}, after=None),
        _change("aws_sqs_queue.same", ["no-op"], before={"name": "q"}, after={"name": "q"}),
    ], output_changes={"arn": {"actions": ["create"], "after_unknown": True, "after_sensitive": False},
                       "name": {"actions": ["create"], "after": "s", "after_unknown": False,
                                "after_sensitive": True}})
    plan = plan_from_json(data, stack="s", component="c")
    rule = plan.resource("aws_security_group_rule.a")
    assert rule.actions == ("update",) and rule.before == {"from_port": 80} and rule.values["from_port"] == 443
    secret = plan.resource("aws_secretsmanager_secret.s")
    assert secret.actions == ("replace",) and secret.raw_actions == ("delete", "create")
    assert secret.unknown == frozenset({"id", "arn", "rules.1.y"})
    assert secret.get("rules.0.x") == 1 and isinstance(secret.get("rules.1.y"), Unknown)
    assert secret.sensitive == frozenset({"name", "rules.1.y"})
    assert plan.resource("aws_sqs_queue.gone").actions == ("delete",)
    assert plan.resource("aws_sqs_queue.gone").values == {}
    assert plan.resource("aws_sqs_queue.same").actions == ("no-op",)
    assert isinstance(plan.outputs["arn"], Unknown) and plan.outputs["name"] == "s"
    assert plan.output_sensitive == frozenset({"name"})


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "vpc.json"
    bad.write_text('{\n  "format_version": "1.2",\n  "resource_changes": [\n}\n')
    with pytest.raises(EvaluationError) as info:
        load_plan_file(bad, stack="s", component="vpc")
    assert info.value.file == str(bad) and info.value.line == 4
    assert str(info.value).startswith(f"{bad}:4: invalid JSON")


@pytest.mark.parametrize(("document", "message"), [
    ({"values": {"root_module": {}}}, "no format_version"),
    ({"format_version": "1.0", "values": {"root_module": {}}}, "not a plan"),
    ({"format_version": "2.0", "resource_changes": []}, "unsupported plan format_version"),
    ([1, 2], "no format_version"),
])
def test_not_a_plan(tmp_path: Path, document: Any, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(document))
    with pytest.raises(EvaluationError) as info:
        load_plan_file(path, stack="s", component="c")
    assert message in str(info.value) and info.value.file == str(path)


def test_engine_reads_plans_dir_layout(tmp_path: Path) -> None:
    (tmp_path / "core-ue1-dev").mkdir()
    (tmp_path / "core-ue1-dev" / "vpc.json").write_text(json.dumps(_doc(resource_changes=[
        _change("aws_vpc.this", ["create"], after={"cidr_block": "10.0.0.0/16"}, after_unknown={"id": True})])))
    engine = RecordedEngine(tmp_path)
    req = PlanRequest("core-ue1-dev", "vpc", tmp_path)
    plan = engine.plan(req)
    assert plan.engine == "recorded" and plan.resource("aws_vpc.this").values["cidr_block"] == "10.0.0.0/16"
    with pytest.raises(EvaluationError) as info:
        engine.plan(PlanRequest("core-ue1-prod", "vpc", tmp_path))
    assert "no recorded plan" in str(info.value)
    single = RecordedEngine(tmp_path / "core-ue1-dev" / "vpc.json")
    assert single.plan(PlanRequest("any", "vpc", tmp_path)).addresses == ["aws_vpc.this"]
