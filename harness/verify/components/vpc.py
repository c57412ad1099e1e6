"""vpc: CIDR, subnets per AZ (``cidrsubnet`` as in components/terraform/vpc/main.tf), NAT layout, routes,
S3 gateway endpoint, flow logs, the rule-less default security group, tags."""

from __future__ import annotations

from typing import Any

from harness.verify.cidr import cidrsubnet
from harness.verify.context import Checker, safe_call

COMPONENT = "vpc"


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags") or []}


class _Vpc:
    """Reads the VPC's parts once per check attempt (cheap, and fresh for ``eventually``)."""

    def __init__(self, ctx: Checker, vpc_id: str) -> None:
        self.ctx = ctx
        self.ec2 = ctx.client("ec2")
        self.vpc_id = vpc_id
        self.by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]

    def _all(self, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.ec2.get_paginator(operation).paginate(**kwargs):
            items.extend(page.get(key) or [])
        return items

    def subnets(self) -> dict[str, list[dict[str, Any]]]:
        """Subnets by tier: the outputs' subnet ids, else the ``Tier`` tag / ``-public-`` name; "other" for the
        rest (a subnet the component did not make)."""
        subnets = self.ctx.read("subnets", lambda: self._all("describe_subnets", "Subnets", Filters=self.by_vpc))
        known = {str(i): tier for tier in ("public", "private")
                 for i in (self.ctx.output(f"{tier}_subnet_ids") or []) if isinstance(i, str)}
        tiers: dict[str, list[dict[str, Any]]] = {"public": [], "private": [], "other": []}
        for subnet in subnets:
            tags = _tags(subnet)
            tier = known.get(subnet["SubnetId"]) or tags.get("Tier") or next(
                (t for t in ("public", "private") if f"-{t}-" in tags.get("Name", "")), "other")
            tiers[tier if tier in tiers else "other"].append(subnet)
        return tiers

    def nat_gateways(self) -> list[dict[str, Any]]:
        gateways = self.ctx.read("nat_gateways",
                                 lambda: self._all("describe_nat_gateways", "NatGateways", Filters=self.by_vpc))
        return [g for g in gateways if g.get("State") in ("pending", "available")]

    def route_tables(self) -> list[dict[str, Any]]:
        return self.ctx.read("route_tables",
                             lambda: self._all("describe_route_tables", "RouteTables", Filters=self.by_vpc))

    def route_roles(self) -> dict[str, str]:
        """Route table id => role ("public" or "private-<az>") from the subnets associated with it."""
        tiers = self.subnets()
        role_of_subnet = {s["SubnetId"]: "public" for s in tiers["public"]}
        role_of_subnet.update({s["SubnetId"]: f"private-{s['AvailabilityZone']}" for s in tiers["private"]})
        roles: dict[str, str] = {}
        for table in self.route_tables():
            found = sorted({role_of_subnet[a["SubnetId"]] for a in table.get("Associations") or []
                            if a.get("SubnetId") in role_of_subnet})
            if found:
                roles[table["RouteTableId"]] = ",".join(found)
        return roles

    def table_of(self, subnet_id: str, tables: list[dict[str, Any]]) -> dict[str, Any] | None:
        main = None
        for table in tables:
            for assoc in table.get("Associations") or []:
                if assoc.get("SubnetId") == subnet_id:
                    return table
                if assoc.get("Main"):
                    main = table
        return main


def _default_route(table: dict[str, Any] | None) -> dict[str, Any] | None:
    if table is None:
        return None
    for route in table.get("Routes") or []:
        if route.get("DestinationCidrBlock") == "0.0.0.0/0" and route.get("State", "active") == "active":
            return dict(route)
    return None


def validate(ctx: Checker) -> None:
    name = ctx.name()
    ec2 = ctx.client("ec2")
    known_id = ctx.output("vpc_id")

    def find() -> dict[str, Any] | None:
        if known_id:
            found = safe_call(lambda: ec2.describe_vpcs(VpcIds=[known_id])["Vpcs"], missing=[])
        else:
            found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
        return dict(found[0]) if found else None

    vpc = ctx.exists("vpc.exists", f"VPC {known_id}" if known_id else f"VPC named {name}", find,
                     label=lambda v: f"{v['VpcId']} ({_tags(v).get('Name', 'no Name tag')})")
    parts = _Vpc(ctx, vpc["VpcId"] if vpc else "")
    need = "vpc.exists"
    cidr = str(ctx.var("cidr_block"))
    azs = [str(az) for az in ctx.var("availability_zones") or []]
    newbits = int(ctx.var("subnet_newbits"))

    def vpc_now() -> dict[str, Any]:
        return ctx.read("vpc", lambda: dict(ec2.describe_vpcs(VpcIds=[parts.vpc_id])["Vpcs"][0]))

    ctx.check("vpc.cidr", cidr, lambda: vpc_now()["CidrBlock"], needs=need)

    def dns() -> dict[str, bool]:
        support = ec2.describe_vpc_attribute(VpcId=parts.vpc_id, Attribute="enableDnsSupport")
        hostnames = ec2.describe_vpc_attribute(VpcId=parts.vpc_id, Attribute="enableDnsHostnames")
        return {"support": bool(support["EnableDnsSupport"]["Value"]),
                "hostnames": bool(hostnames["EnableDnsHostnames"]["Value"])}

    ctx.check("vpc.dns", {"support": True, "hostnames": bool(ctx.var("enable_dns_hostnames"))}, dns, needs=need)

    wanted_tags = {**ctx.default_tags(), "Name": name}
    ctx.check("vpc.tags", wanted_tags, lambda: {k: _tags(vpc_now()).get(k) for k in wanted_tags}, needs=need)

    # Subnets: slot i of the CIDR for AZ i (public), slot i + 4 (private).
    for tier, offset in (("public", 0), ("private", 4)):
        expected = sorted(f"{az} {cidrsubnet(cidr, newbits, i + offset)}" for i, az in enumerate(azs))

        def subnets_of(tier: str = tier) -> list[str]:
            return sorted(f"{s['AvailabilityZone']} {s['CidrBlock']}" for s in parts.subnets()[tier])

        ctx.check(f"vpc.subnets.{tier}", expected, subnets_of, needs=need)

    ctx.check("vpc.subnets.other", [], lambda: sorted(f"{s['SubnetId']} {s['AvailabilityZone']} {s['CidrBlock']}"
                                                    for s in parts.subnets()["other"]), needs=need)

    def public_ip() -> dict[str, list[bool]]:
        tiers = parts.subnets()
        return {tier: sorted({bool(s.get("MapPublicIpOnLaunch")) for s in tiers[tier]})
                for tier in ("public", "private")}

    ctx.check("vpc.subnets.map_public_ip", {"public": [bool(ctx.var("map_public_ip_on_launch"))],
                                            "private": [False]}, public_ip, needs=("vpc.subnets.public",
                                                                                    "vpc.subnets.private"))

    # NAT: none, one in the first AZ, or one per AZ, always in a public subnet.
    nat_enabled = bool(ctx.var("nat_gateway_enabled"))
    per_az = ctx.var("nat_gateway_mode") == "per_az"
    nat_azs = (azs if per_az else azs[:1]) if nat_enabled else []

    def subnet_places() -> dict[str, str]:
        tiers = parts.subnets()
        return {s["SubnetId"]: f"{s['AvailabilityZone']}/{tier}" for tier in tiers for s in tiers[tier]}

    def nat_layout() -> dict[str, int]:
        places = subnet_places()
        layout: dict[str, int] = {}
        for gateway in parts.nat_gateways():
            place = places.get(gateway.get("SubnetId", ""), f"{gateway.get('SubnetId')}/unknown-subnet")
            layout[place] = layout.get(place, 0) + 1
        return layout

    ctx.check("vpc.nat.gateways", {f"{az}/public": 1 for az in nat_azs}, nat_layout, needs=need)

    def nat_routes() -> dict[str, str | None]:
        tables = parts.route_tables()
        places = subnet_places()
        nat_az = {g["NatGatewayId"]: places.get(g.get("SubnetId", ""), "?").split("/")[0]
                  for g in parts.nat_gateways()}
        result: dict[str, str | None] = {}
        for subnet in parts.subnets()["private"]:
            route = _default_route(parts.table_of(subnet["SubnetId"], tables))
            if route is None:
                target = None
            elif route.get("NatGatewayId"):
                target = f"nat in {nat_az.get(route['NatGatewayId'], route['NatGatewayId'] + ' (gone)')}"
            else:
                target = next((str(v) for k, v in route.items() if k.endswith("Id") and v), "other")
            result[subnet["AvailabilityZone"]] = target
        return result

    expected_routes = {az: (f"nat in {az if per_az else azs[0]}" if nat_enabled else None) for az in azs}
    ctx.check("vpc.nat.routes", expected_routes, nat_routes, needs=("vpc.exists", "vpc.subnets.private"))

    def public_routes() -> dict[str, str | None]:
        tables = parts.route_tables()
        gateways = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [parts.vpc_id]}])["InternetGateways"]
        attached = {g["InternetGatewayId"] for g in gateways}
        result: dict[str, str | None] = {}
        for subnet in parts.subnets()["public"]:
            route = _default_route(parts.table_of(subnet["SubnetId"], tables))
            gateway = (route or {}).get("GatewayId")
            result[subnet["AvailabilityZone"]] = ("attached internet gateway" if gateway in attached
                                                  else gateway or None)
        return result

    ctx.check("vpc.public_routes", {az: "attached internet gateway" for az in azs}, public_routes,
              needs=("vpc.exists", "vpc.subnets.public"))

    # S3 gateway endpoint on every route table.
    service = f"com.amazonaws.{ctx.var('region')}.s3"

    def endpoint() -> list[dict[str, Any]]:
        roles = parts.route_roles()
        found = ec2.describe_vpc_endpoints(Filters=[*parts.by_vpc, {"Name": "service-name", "Values": [service]}])
        return [{"type": e.get("VpcEndpointType"), "state": str(e.get("State", "")).lower(),
                 "route_tables": sorted(roles.get(t, t) for t in e.get("RouteTableIds") or [])}
                for e in found["VpcEndpoints"] if str(e.get("State", "")).lower() not in ("deleted", "deleting")]

    expected_endpoint = ([{"type": "Gateway", "state": "available",
                           "route_tables": sorted(["public", *(f"private-{az}" for az in azs)])}]
                         if ctx.var("s3_gateway_endpoint_enabled") else [])
    ctx.check("vpc.s3_endpoint", expected_endpoint, endpoint, needs=need)

    # Flow logs: active, to the stack's bucket, with its traffic type and interval.
    def flow_logs() -> list[dict[str, Any]]:
        found = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [parts.vpc_id]}])["FlowLogs"]
        return [{"status": f.get("FlowLogStatus"), "delivery": f.get("DeliverLogsStatus"),
                 "destination_type": f.get("LogDestinationType"), "destination": f.get("LogDestination"),
                 "traffic_type": f.get("TrafficType"), "max_aggregation_interval": f.get("MaxAggregationInterval")}
                for f in found]

    def expected_flow_logs() -> list[dict[str, Any]]:
        if not ctx.var("flow_logs_enabled"):
            return []
        return [{"status": "ACTIVE", "delivery": "SUCCESS", "destination_type": "s3",
                 "destination": ctx.var("flow_logs_bucket_arn"), "traffic_type": ctx.var("flow_logs_traffic_type"),
                 "max_aggregation_interval": int(ctx.var("flow_logs_max_aggregation_interval"))}]

    ctx.check("vpc.flow_logs", expected_flow_logs, flow_logs, needs=need)

    # The default security group is adopted and stripped of every rule.
    def default_sg() -> dict[str, list[str]]:
        groups = ec2.describe_security_groups(
            Filters=[*parts.by_vpc, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
        if not groups:
            return {"missing": ["default security group"]}
        group = groups[0]
        return {"ingress": sorted(_permission(p) for p in group.get("IpPermissions") or []),
                "egress": sorted(_permission(p) for p in group.get("IpPermissionsEgress") or [])}

    ctx.check("vpc.default_security_group", {"ingress": [], "egress": []}, default_sg, needs=need)


def _permission(permission: dict[str, Any]) -> str:
    peers = ([r.get("CidrIp") for r in permission.get("IpRanges") or []]
             + [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges") or []]
             + [r.get("PrefixListId") for r in permission.get("PrefixListIds") or []]
             + [r.get("GroupId") for r in permission.get("UserIdGroupPairs") or []])
    ports = f"{permission.get('FromPort', '')}-{permission.get('ToPort', '')}"
    return f"{permission.get('IpProtocol')} {ports} {','.join(str(p) for p in peers)}"
