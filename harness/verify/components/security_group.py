"""security-group: the group exists in the stack's VPC with its description and tags, its rules equal
the stack's ``rules`` (one rule per peer, as components/terraform/security-group/main.tf expands them),
and nothing is open to the internet unless the stack itself opens it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.verify.context import Checker, Undetermined, safe_call

COMPONENT = "security-group"
_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
_OPEN = ("cidr_ipv4:0.0.0.0/0", "cidr_ipv6:::/0")


def rule_text(kind: str, protocol: str, from_port: Any, to_port: Any, peer: str, description: str | None) -> str:
    """One rule as a readable, comparable line: ``ingress tcp 443-443 cidr_ipv4:10.0.0.0/16 "HTTPS"``."""
    protocol = _PROTOCOLS.get(str(protocol), str(protocol))
    ports = "all" if protocol == "-1" else f"{from_port}-{to_port}"
    return f'{kind} {protocol} {ports} {peer} "{description or ""}"'


def expected_rules(rules: Mapping[str, Any]) -> list[str]:
    """The stack's rules expanded to one line per (rule, peer)."""
    out = []
    for rule in rules.values():
        peers = ([f"cidr_ipv4:{c}" for c in rule.get("cidr_blocks") or []]
                 + [f"cidr_ipv6:{c}" for c in rule.get("ipv6_cidr_blocks") or []]
                 + [f"prefix_list:{p}" for p in rule.get("prefix_list_ids") or []]
                 + [f"security_group:{g}" for g in rule.get("security_group_ids") or []])
        for peer in peers:
            out.append(rule_text(str(rule.get("type")), str(rule.get("protocol")), rule.get("from_port"),
                                 rule.get("to_port"), peer, rule.get("description")))
    return sorted(out)


def actual_rule(rule: Mapping[str, Any]) -> str:
    if rule.get("CidrIpv4"):
        peer = f"cidr_ipv4:{rule['CidrIpv4']}"
    elif rule.get("CidrIpv6"):
        peer = f"cidr_ipv6:{rule['CidrIpv6']}"
    elif rule.get("PrefixListId"):
        peer = f"prefix_list:{rule['PrefixListId']}"
    else:
        peer = f"security_group:{(rule.get('ReferencedGroupInfo') or {}).get('GroupId')}"
    return rule_text("egress" if rule.get("IsEgress") else "ingress", str(rule.get("IpProtocol")),
                     rule.get("FromPort"), rule.get("ToPort"), peer, rule.get("Description"))


def _tags(item: Mapping[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags") or []}


def validate(ctx: Checker) -> None:
    name = ctx.name()
    ec2 = ctx.client("ec2")
    known_id = ctx.output("security_group_id")

    def vpc_id() -> str:
        """The stack's VPC: the resolved ``vars.vpc_id``, else the stack's vpc found by its Name tag."""
        try:
            return str(ctx.var("vpc_id"))
        except Undetermined as unresolved:
            vpc = ctx.sibling("vpc")
            if vpc is None:
                raise
            parts = [vpc.vars.get(k) for k in ("namespace", "tenant", "environment", "stage", "name")]
            vpc_name = "-".join(str(p) for p in parts if p)
            found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [vpc_name]}])["Vpcs"]
            if len(found) != 1:
                raise Undetermined(f"{unresolved}; and {len(found)} VPCs are named {vpc_name}") from None
            return str(found[0]["VpcId"])

    def find() -> dict[str, Any] | None:
        if known_id:
            found = safe_call(lambda: ec2.describe_security_groups(GroupIds=[known_id])["SecurityGroups"], missing=[])
        else:
            found = ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
            if len(found) > 1:
                raise Undetermined(f"{len(found)} security groups are named {name}")
        return dict(found[0]) if found else None

    group = ctx.exists("security_group.exists", f"security group {known_id or name}", find,
                       label=lambda g: f"{g['GroupId']} ({g.get('GroupName')})")
    group_id = group["GroupId"] if group else ""
    need = "security_group.exists"

    def now() -> dict[str, Any]:
        return ctx.read("group", lambda: dict(ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]))

    ctx.check("security_group.vpc", vpc_id, lambda: now().get("VpcId"), needs=need)
    ctx.check("security_group.description", lambda: ctx.var("description"), lambda: now().get("Description"),
              needs=need)
    wanted_tags = {**ctx.default_tags(), "Name": name}
    ctx.check("security_group.tags", wanted_tags, lambda: {k: _tags(now()).get(k) for k in wanted_tags}, needs=need)

    def fetch_rules() -> list[str]:
        found: list[dict[str, Any]] = []
        paginator = ec2.get_paginator("describe_security_group_rules")
        for page in paginator.paginate(Filters=[{"Name": "group-id", "Values": [group_id]}]):
            found.extend(page.get("SecurityGroupRules") or [])
        return sorted(actual_rule(r) for r in found)

    def rules() -> list[str]:
        return ctx.read("rules", fetch_rules)

    stack_rules = expected_rules(ctx.var("rules") or {})
    for kind in ("ingress", "egress"):

        def of_kind(kind: str = kind) -> list[str]:
            return [r for r in rules() if r.startswith(kind + " ")]

        ctx.check(f"security_group.rules.{kind}", [r for r in stack_rules if r.startswith(kind + " ")], of_kind,
                  needs=need)

    def open_ingress(lines: list[str]) -> list[str]:
        return [r for r in lines if r.startswith("ingress ") and any(f" {o} " in r for o in _OPEN)]

    ctx.check("security_group.open_ingress", open_ingress(stack_rules), lambda: open_ingress(rules()), needs=need)
