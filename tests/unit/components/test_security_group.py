"""Security groups: exactly the stack's rules, never open to the internet on admin ports."""

from __future__ import annotations

import pytest

from harness.atmos import Instance
from harness.plan import Plan, Resource

pytestmark = pytest.mark.component("security-group")

ADMIN_PORTS = (22, 3389)


def _rules(plan: Plan) -> list[Resource]:
    return [*plan.resources(type="aws_vpc_security_group_ingress_rule"),
            *plan.resources(type="aws_vpc_security_group_egress_rule")]


def test_one_rule_resource_per_stack_rule_and_cidr(plan: Plan, instance: Instance) -> None:
    expected = sum(len(r.get("cidr_blocks") or []) + len(r.get("ipv6_cidr_blocks") or [])
                   for r in instance.vars["rules"].values())
    assert len(_rules(plan)) == expected


def test_rules_carry_the_stack_ports_and_cidrs(plan: Plan, instance: Instance) -> None:
    planned = {(r.type.rsplit("_", 2)[-2], r.values.get("cidr_ipv4") or r.values.get("cidr_ipv6"),
                r.values["ip_protocol"]) for r in _rules(plan)}
    wanted = {(rule["type"], cidr, str(rule["protocol"]))
              for rule in instance.vars["rules"].values()
              for cidr in [*(rule.get("cidr_blocks") or []), *(rule.get("ipv6_cidr_blocks") or [])]}
    assert planned == wanted


def test_no_internet_ingress_to_admin_ports(plan: Plan) -> None:
    for rule in plan.resources(type="aws_vpc_security_group_ingress_rule"):
        open_world = rule.values.get("cidr_ipv4") == "0.0.0.0/0" or rule.values.get("cidr_ipv6") == "::/0"
        if not open_world:
            continue
        low, high = rule.values.get("from_port"), rule.values.get("to_port")
        all_ports = rule.values["ip_protocol"] == "-1"
        assert not all_ports and not any(low <= p <= high for p in ADMIN_PORTS), rule.address


def test_group_lives_in_the_stack_vpc(plan: Plan) -> None:
    group = plan.resource("aws_security_group.this")
    # vpc_id comes from `!terraform.output vpc vpc_id`: known only once vpc is applied.
    assert group.get("vpc_id").ref == "var.vpc_id"
