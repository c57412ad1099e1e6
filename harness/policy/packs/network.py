"""Network policies: security groups, network ACLs, default security groups, flow logs, public subnets.

CIS ids follow the CIS AWS Foundations Benchmark v1.4.0 (the version the example stacks
subscribe to in Security Hub); FSBP ids are AWS Foundational Security Best Practices
control ids as Security Hub shows them.
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.plan import Plan, Resource, Undetermined, Unknown
from harness.policy.helpers import (
    ALL_PROTOCOLS,
    PORT_PROTOCOLS,
    SECURITY_GROUP_TYPES,
    NetRule,
    as_list,
    computed_unset,
    is_true,
    linked,
    maybe_links,
    missing,
    nacl_rules,
    security_group_rules,
)
from harness.policy.model import Param, PolicyContext, Violation, undetermined, violation
from harness.policy.registry import policy


def _rules(resource: Resource) -> list[NetRule]:
    computed = [k for k in ("ingress", "egress") if computed_unset(resource, k)]
    if computed and resource.type in ("aws_security_group", "aws_default_security_group"):
        # rules managed by separate rule resources: those are checked on their own
        trimmed = {k: v for k, v in resource.values.items() if k not in computed}
        resource = Resource(address=resource.address, mode=resource.mode, type=resource.type, name=resource.name,
                            index=resource.index, module_address=resource.module_address, values=trimmed,
                            source=resource.source)
    return security_group_rules(resource)


def _each_rule(resource: Resource, direction: str) -> Iterator[NetRule | Violation]:
    """The rules in ``direction``, or one undetermined violation when they cannot be read."""
    try:
        rules = _rules(resource)
    except Undetermined as exc:
        yield undetermined(resource, exc)
        return
    for rule in rules:
        if rule.direction == direction:
            yield rule


def _open(rule: NetRule) -> list[str] | Violation:
    try:
        return rule.open_cidrs()
    except Undetermined as exc:
        return undetermined(rule.resource, exc, path=rule.path)


@policy(
    "network.no-public-admin-ports",
    title="No ingress from 0.0.0.0/0 or ::/0 to remote administration ports",
    severity="critical",
    controls=("CIS-5.2", "NIST-AC-17", "NIST-SC-7", "FSBP-EC2.13", "FSBP-EC2.14", "FSBP-EC2.53", "FSBP-EC2.54"),
    params={"ports": Param([22, 3389], "ports that must never be open to the internet")},
    resource_types=(*SECURITY_GROUP_TYPES, "aws_default_security_group"),
)
def no_public_admin_ports(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """SSH, RDP and other administration ports reachable from anywhere are the most scanned doors on the internet."""
    ports = [int(p) for p in ctx.param("ports")]
    for rule in _each_rule(resource, "ingress"):
        if isinstance(rule, Violation):
            yield rule
            continue
        cidrs = _open(rule)
        if isinstance(cidrs, Violation):
            yield cidrs
            continue
        if not cidrs:
            continue
        try:
            hit = [p for p in ports if rule.covers(p)]
        except Undetermined as exc:
            yield undetermined(resource, exc, path=rule.path)
            continue
        if hit:
            yield violation(resource, f"ingress from {', '.join(cidrs)} to admin port(s) "
                                      f"{', '.join(map(str, hit))} ({rule.port_text()})",
                            value={"cidrs": cidrs, "ports": hit}, path=rule.path)


@policy(
    "network.no-public-ingress",
    title="No ingress from 0.0.0.0/0 or ::/0 to any port",
    severity="high",
    controls=("NIST-AC-4", "NIST-SC-7", "FSBP-EC2.18", "FSBP-EC2.19"),
    params={"allowed_ports": Param([], "ports that may be open to the internet (e.g. [80, 443] on a public load "
                                       "balancer's group)"),
            "include_icmp": Param(False, "also flag ICMP (and other non-TCP/UDP protocols) open to the internet")},
    resource_types=(*SECURITY_GROUP_TYPES, "aws_default_security_group"),
)
def no_public_ingress(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Anything reachable from the whole internet must be a deliberate, reviewed exception."""
    allowed = {int(p) for p in ctx.param("allowed_ports")}
    for rule in _each_rule(resource, "ingress"):
        if isinstance(rule, Violation):
            yield rule
            continue
        cidrs = _open(rule)
        if isinstance(cidrs, Violation):
            yield cidrs
            continue
        if not cidrs:
            continue
        try:
            proto = rule.protocol_text()
            if proto not in PORT_PROTOCOLS and proto not in ALL_PROTOCOLS and not ctx.param("include_icmp"):
                continue
            if proto in ALL_PROTOCOLS:
                ok = False
            else:
                low, high = rule.port_range()
                ok = low == high and low in allowed
        except Undetermined as exc:
            yield undetermined(resource, exc, path=rule.path)
            continue
        if not ok:
            yield violation(resource, f"ingress from {', '.join(cidrs)} ({rule.port_text()})",
                            value={"cidrs": cidrs, "protocol": rule.protocol, "from_port": rule.from_port,
                                   "to_port": rule.to_port}, path=rule.path)


@policy(
    "network.unrestricted-egress",
    title="No egress of all traffic to 0.0.0.0/0 or ::/0",
    severity="low",
    controls=("NIST-SC-7", "NIST-AC-4"),
    params={"any_port": Param(False, "also flag egress to anywhere on a single port or range")},
    resource_types=SECURITY_GROUP_TYPES,
)
def unrestricted_egress(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Unrestricted egress lets a compromised workload exfiltrate data or reach command-and-control anywhere."""
    for rule in _each_rule(resource, "egress"):
        if isinstance(rule, Violation):
            yield rule
            continue
        cidrs = _open(rule)
        if isinstance(cidrs, Violation):
            yield cidrs
            continue
        if not cidrs:
            continue
        try:
            flagged = ctx.param("any_port") or rule.all_traffic()
        except Undetermined as exc:
            yield undetermined(resource, exc, path=rule.path)
            continue
        if flagged:
            yield violation(resource, f"egress to {', '.join(cidrs)} ({rule.port_text()})",
                            value={"cidrs": cidrs}, path=rule.path)


@policy(
    "network.default-sg-closed",
    title="The VPC default security group has no rules",
    severity="medium",
    controls=("CIS-5.3", "NIST-AC-4", "NIST-SC-7", "FSBP-EC2.2"),
    resource_types=("aws_default_security_group",),
)
def default_sg_closed(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Anything launched without an explicit security group lands in the default one; it must allow nothing."""
    for direction in ("ingress", "egress"):
        if computed_unset(resource, direction):
            continue
        value = resource.get(direction, None)
        if isinstance(value, Unknown):
            yield undetermined(resource, Undetermined(value.reason, address=resource.address, path=direction,
                                                      ref=value.ref))
            continue
        rules = as_list(value)
        if rules:
            yield violation(resource, f"default security group declares {len(rules)} {direction} rule(s)",
                            value=rules, path=direction)


@policy(
    "network.vpc-flow-logs",
    title="Every VPC has flow logs",
    severity="medium",
    controls=("CIS-3.9", "NIST-AU-12", "NIST-SI-4", "FSBP-EC2.6"),
    resource_types=("aws_vpc",),
)
def vpc_flow_logs(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Flow logs are the only record of who talked to what inside a VPC; without them an incident has no trail."""
    links = linked(plan, "aws_flow_log", "vpc_id", resource, attrs=("id",))
    if links.sure:
        return
    if links.maybe:
        yield maybe_links(resource, "flow log", links.maybe)
        return
    yield missing(plan, resource, f"no aws_flow_log has vpc_id = {resource.address}.id")


@policy(
    "network.no-public-ip-subnets",
    title="Subnets do not assign public IPs on launch in protected stages",
    severity="medium",
    controls=("NIST-AC-4", "NIST-SC-7", "FSBP-EC2.15"),
    params={"stages": Param(["prod"], "stages (vars.stage) where the policy applies; [\"*\"] for all")},
    resource_types=("aws_subnet",),
)
def no_public_ip_subnets(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Instances in such subnets get an internet-routable address without anyone asking for one."""
    stages = [str(s) for s in ctx.param("stages")]
    if "*" not in stages and ctx.stage not in stages:
        return
    value = resource.get("map_public_ip_on_launch", None)
    if isinstance(value, Unknown):
        raise Undetermined(value.reason, address=resource.address, path="map_public_ip_on_launch", ref=value.ref)
    if is_true(value):
        where = f"stage {ctx.stage}" if ctx.stage else "this stack"
        yield violation(resource, f"map_public_ip_on_launch is true in {where}", value=value,
                        path="map_public_ip_on_launch")


@policy(
    "network.nacl-no-public-admin-ports",
    title="Network ACLs do not allow ingress from 0.0.0.0/0 or ::/0 to administration ports",
    severity="high",
    controls=("CIS-5.1", "NIST-AC-17", "NIST-SC-7", "FSBP-EC2.21"),
    params={"ports": Param([22, 3389], "remote administration ports")},
    resource_types=("aws_network_acl_rule", "aws_network_acl", "aws_default_network_acl"),
)
def nacl_no_public_admin_ports(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A NACL is the subnet-wide backstop: it must not open administration ports to the internet."""
    ports = [int(p) for p in ctx.param("ports")]
    for rule in nacl_rules(resource):
        if rule.direction != "ingress" or not rule.allow:
            continue
        cidrs = _open(rule)
        if isinstance(cidrs, Violation):
            yield cidrs
            continue
        if not cidrs:
            continue
        hit = [p for p in ports if rule.covers(p)]
        if hit:
            yield violation(resource, f"network ACL allows ingress from {', '.join(cidrs)} to admin port(s) "
                                      f"{', '.join(map(str, hit))}", value={"cidrs": cidrs, "ports": hit},
                            path=rule.path)
