"""Every shape of unknown tfparse emits becomes Unknown; real values stay real (real tfparse runs)."""

from __future__ import annotations

import json
import re

import pytest

from harness.engines.static import StaticEngine
from harness.plan import Plan, Resource, Undetermined, Unknown

from ._helpers import ACCOUNT, REGION, request

VARS = {"name": "demo", "azs": ["us-east-1a", "us-east-1b"]}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@pytest.fixture(scope="module")
def plan(static_engine: StaticEngine) -> Plan:
    return static_engine.plan(request("unknowns", VARS))


@pytest.fixture(scope="module")
def shapes(plan: Plan) -> Resource:
    return plan.resource("aws_thing.shapes")


def _unknown(value: object, ref: str | None = None) -> Unknown:
    assert isinstance(value, Unknown), f"expected Unknown, got {value!r}"
    if ref is not None:
        assert value.ref == ref
    return value


@pytest.mark.parametrize(("attribute", "ref"), [
    ("uuid_ref", "aws_vpc.this.id"),              # tfparse: the aws_vpc block's UUID
    ("uuid_in_string", "aws_vpc.this.id"),        # "prefix-<uuid>"
    ("uuid_upper", "aws_vpc.this.id"),            # upper(<uuid>)
    ("uuid_in_json", "aws_vpc.this.id"),          # jsonencode({vpc = <uuid>})
    ("attribute_object", "aws_vpc.this.tags_all"),  # {"__attribute__": "aws_vpc.this.tags_all"}
    ("unset_variable", "var.required_but_unset"),   # {"__attribute__": "var.required_but_unset"}
    ("template_left", "var.required_but_unset"),    # "${var.required_but_unset}-x" returned as is
    ("guessed_arn", "aws_s3_bucket.logs.arn"),      # tfparse guesses "arn:aws:s3:::<bucket>"
    ("guessed_id", "aws_s3_bucket.logs.id"),        # tfparse guesses the bucket name
    ("fake_length", "aws_vpc.this.id"),             # length(<uuid>) = 36
    ("fake_condition", "aws_vpc.this.id"),          # <uuid> == "" ? ... : "set"
    ("via_local", "aws_vpc.this.arn"),              # through a local
    ("via_local_tpl", "aws_vpc.this.id"),
    ("now", "timestamp()"),                         # a real timestamp: differs every run
    ("data_read", "data.aws_ami.ubuntu.id"),        # a data source the provider must read
    ("caller_arn", "data.aws_caller_identity.current.arn"),
    ("module_unknown", "module.net.aws_route_table.private.id"),  # module output of an unset attribute
])
def test_unknown_shapes_become_unknown(shapes: Resource, attribute: str, ref: str) -> None:
    _unknown(shapes.values[attribute], ref)
    assert attribute in shapes.unknown


def test_null_from_a_failed_expression_is_unknown(shapes: Resource) -> None:
    value = _unknown(shapes.values["failed_function"])
    assert "file(" in (value.ref or "")


def test_registry_module_output_is_unknown_when_not_installed(shapes: Resource) -> None:
    value = _unknown(shapes.values["registry_output"], "module.label.id")
    assert "not installed" in value.reason


def test_known_values_stay_known(shapes: Resource) -> None:
    assert shapes.values["known_cidr"] == "10.0.0.0/16"
    assert shapes.values["known_subnet"] == "10.0.2.0/24"
    assert shapes.values["known_bucket"] == f"demo-logs-{ACCOUNT}-{REGION}"
    assert shapes.values["partition_arn"] == "arn:aws:s3:::demo"
    assert shapes.values["module_output"] == "demo-subnet"
    assert shapes.values["null_on_purpose"] is None
    assert shapes.values["sensitive_value"] == "s3cr3t"
    assert "sensitive_value" in shapes.sensitive


def test_managed_id_is_unknown_and_no_uuid_leaks(plan: Plan) -> None:
    for res in plan.resources(mode="managed"):
        _unknown(res.values["id"], f"{res.address}.id")
    assert not UUID.search(json.dumps(plan.to_json()))


def test_pure_data_sources_are_evaluated_offline(plan: Plan) -> None:
    me = plan.resource("data.aws_caller_identity.current")
    assert me.values["account_id"] == ACCOUNT and me.actions == ("read",)
    assert plan.resource("data.aws_region.current").values["name"] == REGION
    part = plan.resource("data.aws_partition.current").values
    assert (part["partition"], part["dns_suffix"]) == ("aws", "amazonaws.com")


def test_without_account_or_region_they_stay_unknown(static_engine: StaticEngine) -> None:
    plan = static_engine.plan(request("unknowns", VARS, region=None, account_id=None))
    bucket = plan.resource("aws_s3_bucket.logs").values["bucket"]
    assert isinstance(bucket, Unknown)
    assert isinstance(plan.resource("data.aws_caller_identity.current").values["account_id"], Unknown)


def test_for_each_expands_with_real_keys(plan: Plan) -> None:
    subnets = plan.resources("aws_subnet.private")
    assert [s.index for s in subnets] == ["us-east-1a", "us-east-1b"]
    assert [s.values["cidr_block"] for s in subnets] == ["10.0.0.0/24", "10.0.1.0/24"]
    assert subnets[1].values["tags"] == {"Name": "demo-us-east-1b", "Team": "platform"}
    assert subnets[0].source is not None and str(subnets[0].source) == "main.tf:81"
    with pytest.raises(Undetermined):
        assert subnets[0].values["vpc_id"] == "vpc-1"


def test_count_from_an_unknown_is_conditional(plan: Plan) -> None:
    assert [d.address for d in plan.conditional] == ["aws_flow_log.maybe"]
    assert "aws_vpc.this.arn" in plan.conditional[0].reason
    flow = plan.resource("aws_flow_log.maybe")
    assert flow.index is None
    assert plan.resource("aws_nat_gateway.this[0]").index == 0


def test_for_each_that_cannot_expand_is_unexpanded(plan: Plan) -> None:
    reasons = {d.address: d.reason for d in plan.unexpanded}
    assert "known only after apply" in reasons["aws_eip.by_id"]          # tfparse expanded with UUID keys
    assert "var.required_but_unset" in reasons["aws_eip.by_unset"]       # tfparse: "Failed to expand block"
    assert plan.resources("aws_eip.by_id") == [] and plan.resources("aws_eip.by_unset") == []
    with pytest.raises(Undetermined):
        plan.resource("aws_eip.by_id")


def test_nested_and_dynamic_blocks_are_lists(plan: Plan) -> None:
    sg = plan.resource("aws_security_group.web")
    assert [e["description"] for e in sg.values["egress"]] == ["us-east-1a", "us-east-1b"]
    assert sg.get("ingress.0.cidr_blocks") == ["10.0.0.0/16"]
    assert [i["cidr_blocks"] for i in sg.values["ingress"][1:]] == [["10.0.0.0/24"], ["10.0.1.0/24"]]


def test_local_module_expands_and_inputs_propagate(plan: Plan) -> None:
    table = plan.resource("module.net.aws_route_table.private")
    assert table.module_address == "module.net"
    assert table.values["tags"] == {"Name": "demo-private"}
    _unknown(table.values["vpc_id"], "aws_vpc.this.id")
    assert str(table.source) == "modules/net/main.tf:9"


def test_outputs_variables_and_errors(plan: Plan) -> None:
    assert plan.outputs["vpc_cidr"] == "10.0.0.0/16"
    assert plan.outputs["subnet_name"] == "demo-subnet"
    _unknown(plan.outputs["vpc_id"], "aws_vpc.this.id")
    assert "token" in plan.output_sensitive
    assert plan.variables["azs"] == ["us-east-1a", "us-east-1b"]
    assert plan.variables["maybe"] is None
    assert any("required_but_unset" in e and "main.tf:11" in e for e in plan.errors)
    assert plan.complete is False and plan.engine == "static"


def test_unresolved_marker_and_sensitive_text_are_unknown(plan: Plan, static_engine: StaticEngine) -> None:
    # Shapes tfparse emits that no small fixture reproduces: checked on the cleaner itself.
    from harness.engines._sources import module_tree
    from harness.engines._static_plan import StaticPlanBuilder

    req = request("unknowns", VARS)
    builder = StaticPlanBuilder(req, module_tree(req.component_dir.resolve()), {}, "")
    assert isinstance(builder.clean({"__unresolved__": "aws_x.y"}, None, builder.tree), Unknown)
    assert isinstance(builder.clean("(sensitive value)", None, builder.tree), Unknown)
    assert isinstance(builder.clean("a-${...}", None, builder.tree), Unknown)
    assert builder.clean({"k": ["v", 1]}, None, builder.tree) == {"k": ["v", 1]}


def test_null_through_a_local_that_failed_is_unknown(static_engine: StaticEngine, tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    (tmp_path / "main.tf").write_text(
        'variable "v" {\n  default = null\n}\nlocals {\n  body = file("missing.json")\n  maybe = var.v\n}\n'
        'resource "aws_ssm_parameter" "p" {\n  value = local.body\n  other = local.maybe\n}\n')
    res = static_engine.plan(request(tmp_path)).resource("aws_ssm_parameter.p")
    assert isinstance(res.values["value"], Unknown)
    assert res.values["other"] is None
