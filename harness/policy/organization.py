"""Organization policies: what only all instances together can show.

Detection services in every account and region the stacks deploy to (GuardDuty,
Security Hub, CloudTrail), VPC CIDRs that do not overlap across stacks, and bucket names
used once. An instance's account is ``settings.account.id`` (else ``vars.account_id``,
else ``<tenant>-<stage>``), its region ``vars.region``. A gap is reported on the stack
that lacks coverage (component ``organization``); a clash on each instance holding one
side of it, at the resource's ``.tf`` file:line. A plan with blocks the engine could not
expand may hold what is missing: the gap is then undetermined.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.plan import Plan, Resource, Unknown
from harness.policy.helpers import is_true, live
from harness.policy.model import Finding, Outcome, Policy, Severity, Violation

PREFIX = "org."
COMPONENT = "organization"


@dataclass(frozen=True)
class OrgPolicy:
    """One organization policy's metadata (``harness policies`` lists it with origin ``organization``)."""

    id: str
    title: str
    severity: Severity
    controls: tuple[str, ...]
    rationale: str


POLICIES = (
    OrgPolicy("org.guardduty-everywhere", "GuardDuty runs in every account and region the stacks deploy to",
              Severity.HIGH, ("NIST-SI-4", "NIST-IR-4", "FSBP-GuardDuty.1"),
              "A member account or region without a detector is where an attacker goes unseen. An organization "
              "configuration that auto-enables all members covers every account of its region."),
    OrgPolicy("org.securityhub-everywhere", "Security Hub is enabled in every account and region the stacks deploy to",
              Severity.MEDIUM, ("CIS-4.16", "NIST-CA-7", "NIST-SI-4", "FSBP-SecurityHub.1"),
              "Controls only run where Security Hub is enabled. An organization configuration with auto_enable "
              "covers every account of its region."),
    OrgPolicy("org.cloudtrail-everywhere", "CloudTrail records every account and region the stacks deploy to",
              Severity.HIGH, ("CIS-3.1", "NIST-AU-2", "NIST-AU-12", "FSBP-CloudTrail.1"),
              "Without a trail there is no record of who changed what. A multi-region trail covers its account's "
              "regions; an organization trail covers every account."),
    OrgPolicy("org.vpc-cidr-overlap", "VPC CIDR blocks do not overlap across stacks", Severity.HIGH,
              ("NIST-SC-7", "NIST-AC-4"),
              "Overlapping networks cannot be peered or routed through a transit gateway, and break later."),
    OrgPolicy("org.unique-bucket-names", "S3 bucket names are used by one instance only", Severity.HIGH,
              ("NIST-CM-2",),
              "Bucket names are global: the second apply fails, or worse, writes to a bucket someone else owns."),
)
BY_ID = {p.id: p for p in POLICIES}


def _across_instances(*_: object) -> list[Violation]:
    return []  # evaluated by evaluate_organization over all instances, not per plan


def catalog_entries() -> list[Policy]:
    """The organization policies as catalog entries (origin ``organization``) for ``harness policies``."""
    return [Policy(id=p.id, title=p.title, severity=p.severity, check=_across_instances, rationale=p.rationale,
                   controls=p.controls, origin="organization") for p in POLICIES]


@dataclass(frozen=True)
class Member:
    """One instance as the organization policies see it."""

    stack: str
    component: str
    account: str
    region: str
    plan: Plan


def account_of(settings: Mapping[str, Any], vars: Mapping[str, Any], stack: str) -> str:
    """The account an instance deploys to, by the conventions above."""
    account = settings.get("account")
    if isinstance(account, Mapping):
        for key in ("id", "name"):
            if account.get(key):
                return str(account[key])
    if vars.get("account_id"):
        return str(vars["account_id"])
    if vars.get("tenant") and vars.get("stage"):
        return f"{vars['tenant']}-{vars['stage']}"
    return stack


def _finding(policy_id: str, outcome: Outcome, stack: str, component: str, message: str,
             resource: Resource | None = None, value: Any = None) -> Finding:
    meta = BY_ID[policy_id]
    return Finding(policy=policy_id, severity=meta.severity, outcome=outcome, stack=stack, component=component,
                   address=None if resource is None else resource.address, message=message,
                   source=None if resource is None else resource.source, value=value, controls=meta.controls)


def _incomplete(members: Iterable[Member]) -> list[str]:
    return [f"{m.stack}/{m.component}" for m in members if m.plan.unexpanded or m.plan.conditional]


Covers = Callable[[Member, str, str], bool]


def _coverage(policy_id: str, what: str, members: Sequence[Member], covers: Covers,
              types: Sequence[str]) -> list[Finding]:
    """One finding per (account, region) no member's plan covers.

    Only where the repository manages the service at all (some plan holds one of ``types``): a repository
    that deploys none (an application team's, say, with detection run from elsewhere) is not judged on it.
    """
    if not any(live(m.plan, t) for m in members for t in types):
        return []
    targets = sorted({(m.account, m.region) for m in members})
    out: list[Finding] = []
    for account, region in targets:
        if any(covers(m, account, region) for m in members):
            continue
        here = [m for m in members if (m.account, m.region) == (account, region)]
        stacks = sorted({m.stack for m in here})
        hidden = _incomplete(members)
        message = f"account {account} in {region} (stacks {', '.join(stacks)}) has no {what}"
        if hidden:
            message += f"; undetermined: the engine could not expand blocks of {', '.join(hidden[:3])}"
        out.append(_finding(policy_id, Outcome.UNDETERMINED if hidden else Outcome.FAIL, stacks[0], COMPONENT,
                            message, value={"account": account, "region": region, "stacks": stacks}))
    return out


def _guardduty(m: Member, account: str, region: str) -> bool:
    if m.region != region:
        return False
    for org in live(m.plan, "aws_guardduty_organization_configuration"):
        members = org.get("auto_enable_organization_members", None)
        if members == "ALL" or is_true(org.get("auto_enable", None)):
            return True
    if m.account != account:
        return False
    return any(d.get("enable", True) is not False and d.get("enable", True) != "false"
               for d in live(m.plan, "aws_guardduty_detector"))


def _securityhub(m: Member, account: str, region: str) -> bool:
    if m.region != region:
        return False
    for org in live(m.plan, "aws_securityhub_organization_configuration"):
        if is_true(org.get("auto_enable", None)) or org.get("organization_configuration", None):
            return True
    return m.account == account and bool(live(m.plan, "aws_securityhub_account"))


def _cloudtrail(m: Member, account: str, region: str) -> bool:
    for trail in live(m.plan, "aws_cloudtrail"):
        multi = is_true(trail.get("is_multi_region_trail", False))
        if is_true(trail.get("is_organization_trail", False)) and (multi or m.region == region):
            return True
        if m.account == account and (multi or m.region == region):
            return True
    return False


def _cidr_overlaps(members: Sequence[Member]) -> list[Finding]:
    nets: list[tuple[Member, Resource, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    out: list[Finding] = []
    for m in members:
        for res in [*live(m.plan, "aws_vpc"), *live(m.plan, "aws_vpc_ipv4_cidr_block_association")]:
            value = res.get("cidr_block", None)
            if isinstance(value, Unknown):
                out.append(_finding("org.vpc-cidr-overlap", Outcome.UNDETERMINED, m.stack, m.component,
                                    f"CIDR block of {res.address} is known only after apply ({value.reason})", res))
                continue
            if not isinstance(value, str) or not value:
                continue
            try:
                nets.append((m, res, ipaddress.ip_network(value, strict=False)))
            except ValueError:
                continue
    for i, (ma, ra, na) in enumerate(nets):
        for mb, rb, nb in nets[i + 1:]:
            if na.version != nb.version or not na.overlaps(nb):
                continue
            if (ma.stack, ma.component, ra.address) == (mb.stack, mb.component, rb.address):
                continue
            for (m, r, n), (other_m, other_r, other_n) in (((ma, ra, na), (mb, rb, nb)), ((mb, rb, nb), (ma, ra, na))):
                out.append(_finding("org.vpc-cidr-overlap", Outcome.FAIL, m.stack, m.component,
                                    f"{n} overlaps {other_n} of {other_m.stack}/{other_m.component} "
                                    f"{other_r.address}", r, value={"cidr": str(n), "other": str(other_n)}))
    return out


def _bucket_names(members: Sequence[Member]) -> list[Finding]:
    owners: dict[str, list[tuple[Member, Resource]]] = {}
    for m in members:
        for bucket in live(m.plan, "aws_s3_bucket"):
            name = bucket.get("bucket", None)
            if isinstance(name, str) and name:
                owners.setdefault(name, []).append((m, bucket))
    out: list[Finding] = []
    for name, holders in sorted(owners.items()):
        if len(holders) < 2:
            continue
        for m, bucket in holders:
            others = [f"{o.stack}/{o.component} {b.address}" for o, b in holders if (o, b) != (m, bucket)]
            out.append(_finding("org.unique-bucket-names", Outcome.FAIL, m.stack, m.component,
                                f"bucket name {name} is also used by {', '.join(others)}", bucket, value=name))
    return out


def evaluate_organization(members: Sequence[Member]) -> list[Finding]:
    """Every organization policy over all members (unwaived, unsorted; the caller applies stack settings)."""
    if not members:
        return []
    out = _coverage("org.guardduty-everywhere", "GuardDuty detector", members, _guardduty,
                    ("aws_guardduty_detector", "aws_guardduty_organization_configuration"))
    out += _coverage("org.securityhub-everywhere", "Security Hub", members, _securityhub,
                     ("aws_securityhub_account", "aws_securityhub_organization_configuration"))
    out += _coverage("org.cloudtrail-everywhere", "CloudTrail trail", members, _cloudtrail, ("aws_cloudtrail",))
    out += _cidr_overlaps(members)
    out += _bucket_names(members)
    return out
