"""The VPC component as the platform team means it, in every stack that deploys it."""

from __future__ import annotations

import ipaddress

import pytest

from harness.atmos import Instance
from harness.plan import Plan, require_known

pytestmark = pytest.mark.component("vpc")


def test_vpc_has_the_stack_cidr(plan: Plan, instance: Instance) -> None:
    assert plan.resource("aws_vpc.this").values["cidr_block"] == instance.vars["cidr_block"]


@pytest.mark.parametrize("tier", ["public", "private"])
def test_subnets_cover_every_az_of_the_stack(plan: Plan, instance: Instance, tier: str) -> None:
    subnets = plan.resources(f"aws_subnet.{tier}")
    assert sorted(s.values["availability_zone"] for s in subnets) == sorted(instance.vars["availability_zones"])


def test_subnets_lie_inside_the_vpc_and_never_overlap(plan: Plan, instance: Instance) -> None:
    vpc = ipaddress.ip_network(instance.vars["cidr_block"])
    nets = [ipaddress.ip_network(require_known(s.values["cidr_block"], address=s.address))
            for s in plan.resources(type="aws_subnet")]
    assert all(n.subnet_of(vpc) for n in nets), nets
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:]), nets


def test_nat_gateway_per_az_in_prod_only(plan: Plan, instance: Instance) -> None:
    nats = plan.resources(type="aws_nat_gateway")
    if not instance.vars.get("nat_gateway_enabled", True):
        assert nats == []
    elif instance.vars["stage"] == "prod":
        assert len(nats) == len(instance.vars["availability_zones"]), "prod needs one NAT gateway per AZ"
    else:
        assert len(nats) == 1, "non-prod stacks share one NAT gateway"


def test_every_private_route_table_has_a_nat_default_route(plan: Plan) -> None:
    tables = plan.resources("aws_route_table.private")
    routes = plan.resources("aws_route.private_nat")
    assert routes, "private subnets need egress through NAT"
    assert {r.values["destination_cidr_block"] for r in routes} == {"0.0.0.0/0"}
    assert {r.index for r in routes} == {t.index for t in tables}


def test_public_subnets_do_not_map_public_ips(plan: Plan) -> None:
    for subnet in plan.resources("aws_subnet.public"):
        assert subnet.values["map_public_ip_on_launch"] is False, subnet.address


def test_flow_logs_ship_to_the_log_archive(plan: Plan, instance: Instance) -> None:
    logs = plan.resources(type="aws_flow_log")
    assert len(logs) == 1, "every VPC ships flow logs"
    log = logs[0]
    assert log.values["log_destination_type"] == "s3"
    assert log.values["log_destination"] == instance.vars["flow_logs_bucket_arn"]
    assert log.values["traffic_type"] == "ALL"
    assert log.get("vpc_id").ref == "aws_vpc.this.id"


def test_default_security_group_is_locked_down(plan: Plan) -> None:
    default_sg = plan.resource("aws_default_security_group.this")
    assert not default_sg.values.get("ingress")
    assert not default_sg.values.get("egress")


def test_s3_gateway_endpoint_in_the_stack_region(plan: Plan, instance: Instance) -> None:
    endpoint = plan.resource("aws_vpc_endpoint.s3[0]")
    assert endpoint.values["service_name"] == f"com.amazonaws.{instance.vars['region']}.s3"
    assert endpoint.values["vpc_endpoint_type"] == "Gateway"
