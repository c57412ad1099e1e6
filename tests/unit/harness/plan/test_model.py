"""The plan model: Unknown never passes, the query API reads well and fails clearly."""

from __future__ import annotations

import json

import pytest

from harness.plan import (
    Deferred,
    Plan,
    PlanLookupError,
    Resource,
    SourceLocation,
    Undetermined,
    Unknown,
    is_known,
    normalize_actions,
    require_known,
    split_path,
)

VPC_ID = Unknown("known after apply", "aws_vpc.this.id")


def _plan() -> Plan:
    subnets = [
        Resource(address=f'aws_subnet.private["{az}"]', mode="managed", type="aws_subnet", name="private",
                 index=az, values={"availability_zone": az, "vpc_id": VPC_ID,
                                   "tags": {"Name": f"x-{az}", "kubernetes.io/role": "internal"}},
                 source=SourceLocation("main.tf", 12))
        for az in ("us-east-1b", "us-east-1a")
    ]
    rules = [
        Resource(address="aws_security_group_rule.in", mode="managed", type="aws_security_group_rule", name="in",
                 values={"type": "ingress", "cidr_blocks": ["10.0.0.0/8"], "from_port": 443}),
        Resource(address="aws_security_group_rule.out", mode="managed", type="aws_security_group_rule",
                 name="out", values={"type": "egress", "cidr_blocks": ["0.0.0.0/0"]}),
    ]
    sg = Resource(address="module.net.aws_security_group.web", module_address="module.net", mode="managed",
                  type="aws_security_group", name="web",
                  values={"ingress": [{"cidr_blocks": [Unknown("known after apply", "aws_vpc.this.cidr_block")]}]})
    doc = Resource(address="data.aws_iam_policy_document.p", mode="data", type="aws_iam_policy_document",
                   name="p", actions=("read",), values={"json": "{}"})
    return Plan(stack="core-ue1-dev", component="vpc", engine="static", complete=False,
                resources=[*subnets, *rules, sg, doc], outputs={"vpc_id": VPC_ID, "name": "x"},
                variables={"name": "x"},
                unexpanded=[Deferred("aws_eip.nat", "for_each depends on aws_vpc.this.id")],
                conditional=[Deferred("aws_flow_log.this", "count depends on aws_vpc.this.arn")])


def test_unknown_never_passes_a_check() -> None:
    value = Unknown("known after apply", "aws_vpc.this.id")
    with pytest.raises(Undetermined):
        assert value == "vpc-123"
    with pytest.raises(Undetermined):
        assert value != "vpc-123"
    with pytest.raises(Undetermined):
        bool(value)
    with pytest.raises(Undetermined):
        assert "x" in value
    with pytest.raises(Undetermined):
        len(value)
    with pytest.raises(Undetermined):
        list(value)
    with pytest.raises(Undetermined):
        value < 3  # noqa: B015 - the comparison itself must raise
    with pytest.raises(Undetermined) as info:
        assert {"vpc_id": value} == {"vpc_id": "vpc-1"}
    assert "aws_vpc.this.id" in str(info.value)


def test_unknowns_compare_among_themselves_and_hash() -> None:
    assert Unknown("a", "r") == Unknown("a", "r")
    assert Unknown("a", "r") != Unknown("a", "s")
    assert len({Unknown("a", "r"), Unknown("a", "r")}) == 1
    assert repr(VPC_ID) == "<unknown from aws_vpc.this.id: known after apply>"


def test_require_known_and_is_known() -> None:
    assert require_known({"a": [1, 2]}) == {"a": [1, 2]}
    assert is_known({"a": [1, {"b": 2}]})
    assert not is_known({"a": [1, {"b": VPC_ID}]})
    with pytest.raises(Undetermined) as info:
        require_known({"a": [1, {"b": VPC_ID}]}, address="aws_x.y", path="cfg")
    assert info.value.address == "aws_x.y"
    assert info.value.path == "cfg.a.1.b"
    assert info.value.ref == "aws_vpc.this.id"


def test_resources_by_address_prefix_type_where_and_predicate() -> None:
    plan = _plan()
    subnets = plan.resources("aws_subnet.private")
    assert [s.address for s in subnets] == ['aws_subnet.private["us-east-1a"]', 'aws_subnet.private["us-east-1b"]']
    assert plan.resources('aws_subnet.private["us-east-1a"]')[0].index == "us-east-1a"
    rules = plan.resources(type="aws_security_group_rule")
    assert len(rules) == 2
    assert [r.name for r in plan.resources(type="aws_security_group_rule", where={"type": "ingress"})] == ["in"]
    assert [r.name for r in plan.resources(where=lambda r: r.get("from_port", None) == 443)] == ["in"]
    assert plan.resources(mode="data")[0].type == "aws_iam_policy_document"
    assert plan.resources(module="module.net")[0].name == "web"
    assert plan.resources("aws_nope.x") == []


def test_where_on_an_unknown_value_is_undetermined() -> None:
    with pytest.raises(Undetermined):
        _plan().resources(type="aws_subnet", where={"vpc_id": "vpc-1"})


def test_resource_exactly_one_with_clear_errors() -> None:
    plan = _plan()
    assert plan.resource("data.aws_iam_policy_document.p").values["json"] == "{}"
    with pytest.raises(PlanLookupError) as info:
        plan.resource("aws_vpc.main")
    assert "no resource 'aws_vpc.main'" in str(info.value)
    assert "aws_security_group_rule.in" in str(info.value)
    with pytest.raises(PlanLookupError) as many:
        plan.resource("aws_subnet.private")
    assert "matches 2 instances" in str(many.value)
    with pytest.raises(Undetermined):
        plan.resource("aws_eip.nat")
    with pytest.raises(Undetermined):
        plan.resource("aws_flow_log.this")


def test_dotted_get_and_paths() -> None:
    subnet = _plan().resources("aws_subnet.private")[0]
    assert subnet.get("tags.Name") == "x-us-east-1a"
    assert subnet.get('tags["kubernetes.io/role"]') == "internal"
    assert subnet.get("vpc_id") is VPC_ID
    assert subnet.is_unknown("vpc_id")
    with pytest.raises(Undetermined):
        subnet.known("vpc_id")
    sg = _plan().resource("module.net.aws_security_group.web")
    assert isinstance(sg.get("ingress.0.cidr_blocks.0"), Unknown)
    assert sg.unknown == frozenset({"ingress.0.cidr_blocks.0"})
    with pytest.raises(PlanLookupError) as info:
        subnet.get("tags.Owner")
    assert "top-level attributes" in str(info.value)
    assert split_path('a.0["b.c"].d') == ["a", 0, "b.c", "d"]


def test_outputs_and_output_lookup() -> None:
    plan = _plan()
    assert plan.outputs["name"] == "x"
    assert isinstance(plan.outputs["vpc_id"], Unknown)
    with pytest.raises(PlanLookupError):
        plan.output("nope")


def test_actions_normalization_keeps_raw() -> None:
    assert normalize_actions(["delete", "create"]) == ("replace",)
    assert normalize_actions(["create", "delete"]) == ("replace",)
    assert normalize_actions(["update"]) == ("update",)
    res = Resource(address="a.b", mode="managed", type="a", name="b", actions=normalize_actions(["create", "delete"]),
                   raw_actions=("create", "delete"))
    assert res.actions == ("replace",) and res.raw_actions == ("create", "delete")


def test_to_json_is_deterministic_and_round_trips() -> None:
    plan = _plan()
    data = plan.to_json()
    assert [r["address"] for r in data["resources"]] == sorted(r["address"] for r in data["resources"])
    assert data["outputs"]["vpc_id"] == {"__unknown__": True, "reason": "known after apply", "ref": "aws_vpc.this.id"}
    assert data["resources"][0]["source"] is None or "file" in data["resources"][0]["source"]
    again = Plan.from_json(json.loads(json.dumps(data)))
    assert json.dumps(again.to_json(), sort_keys=True) == json.dumps(data, sort_keys=True)
    assert again.unexpanded[0].address == "aws_eip.nat"
