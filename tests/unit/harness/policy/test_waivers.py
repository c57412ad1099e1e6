"""Waivers: waived, expired (its own failure), stale, malformed, scoped to a component, inherited via settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from harness.policy import PolicyContext, PolicyResult, evaluate, parse_waivers, stale_waivers
from harness.policy.waivers import EXPIRED_POLICY

from .conftest import TODAY, U, plan, res


def ssh_plan(component: str = "bastion") -> Any:
    return plan(
        res("aws_security_group_rule.ssh", {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 22,
                                            "to_port": 22, "protocol": "tcp"}, line=12),
        res("aws_security_group_rule.web", {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 443,
                                            "to_port": 443, "protocol": "tcp"}, line=20),
        stack="plat-ue1-prod", component=component)


def evaluate_with(waivers: Any, *, today: dt.date = TODAY, component: str = "bastion",
                  policies: tuple[str, ...] = ("network.no-public-ingress",)) -> PolicyResult:
    ctx = PolicyContext(stack="plat-ue1-prod", component=component, settings={"harness": {"waivers": waivers}})
    return evaluate(ssh_plan(component), ctx, list(policies), today=today)


WAIVER = {"policy": "network.no-public-ingress", "resources": "aws_security_group_rule.ssh",
          "reason": "office VPN until SSM rollout", "expires": dt.date(2026, 3, 31), "ticket": "SEC-12"}


def test_valid_waiver_waives_only_its_resource() -> None:
    result = evaluate_with([WAIVER])
    assert {(str(f.outcome), f.address) for f in result.findings} == {
        ("waived", "aws_security_group_rule.ssh"), ("fail", "aws_security_group_rule.web")}
    [waived] = result.waived
    assert waived.waiver is not None and waived.waiver.reason == "office VPN until SSM rollout"
    assert "waived until 2026-03-31 (ticket SEC-12): office VPN until SSM rollout" in waived.message
    assert result.stale == []
    assert not result.errors


def test_waiver_is_valid_through_its_expiry_day() -> None:
    assert len(evaluate_with([WAIVER], today=dt.date(2026, 3, 31)).waived) == 1


def test_expired_waiver_does_not_waive_and_fails_on_its_own() -> None:
    expired = {**WAIVER, "expires": "2026-01-31"}
    result = evaluate_with([expired])
    assert result.waived == []
    policies = sorted((f.policy, f.address) for f in result.failures)
    assert policies == [("network.no-public-ingress", "aws_security_group_rule.ssh"),
                        ("network.no-public-ingress", "aws_security_group_rule.web"),
                        (EXPIRED_POLICY, "aws_security_group_rule.ssh")]
    [exp] = [f for f in result.failures if f.policy == EXPIRED_POLICY]
    assert exp.message == ("waiver for network.no-public-ingress on aws_security_group_rule.ssh "
                           "expired on 2026-01-31 (ticket SEC-12)")
    assert exp.source is not None and str(exp.source) == "main.tf:12"
    assert not result.ok
    assert result.stale == []  # it matched: not stale, just expired


def test_stale_waiver_matches_no_finding() -> None:
    stale = {**WAIVER, "resources": ["aws_security_group_rule.gone", "aws_security_group.old*"]}
    result = evaluate_with([stale, WAIVER])
    assert [w.resources for w in result.stale] == [("aws_security_group_rule.gone", "aws_security_group.old*")]
    assert len(result.waived) == 1


def test_waiver_for_a_policy_that_did_not_run_is_stale() -> None:
    other = {**WAIVER, "policy": "s3.tls-only", "resources": "*"}
    result = evaluate_with([other])
    assert [w.policy for w in result.stale] == ["s3.tls-only"]


def test_waiver_globs_on_policy_and_addresses() -> None:
    wide = {**WAIVER, "policy": "network.*", "resources": "aws_security_group_rule.*"}
    result = evaluate_with([wide], policies=("network.no-public-ingress", "network.no-public-admin-ports"))
    assert result.failures == []
    assert {(f.policy, f.address) for f in result.waived} == {
        ("network.no-public-ingress", "aws_security_group_rule.ssh"),
        ("network.no-public-ingress", "aws_security_group_rule.web"),
        ("network.no-public-admin-ports", "aws_security_group_rule.ssh")}


def test_waiver_scoped_to_a_component() -> None:
    scoped = {**WAIVER, "component": "bastion"}
    assert len(evaluate_with([scoped], component="bastion").waived) == 1
    other = evaluate_with([scoped], component="web")
    assert other.waived == [] and other.stale == []  # out of scope: neither used nor stale here


def test_undetermined_findings_can_be_waived() -> None:
    the_plan = plan(res("aws_security_group_rule.x", {"type": "ingress", "cidr_blocks": U("var.cidrs"),
                                                      "from_port": 22, "to_port": 22, "protocol": "tcp"}))
    waiver = {**WAIVER, "resources": "aws_security_group_rule.x"}
    ctx = PolicyContext(stack="s", component="c", settings={"harness": {"waivers": [waiver]}})
    result = evaluate(the_plan, ctx, ["network.no-public-ingress"], today=TODAY)
    assert [str(f.outcome) for f in result.findings] == ["waived"]


def test_stack_wide_waivers_are_stale_only_when_no_instance_used_them() -> None:
    used_here = evaluate_with([WAIVER], component="bastion")
    not_here = evaluate(plan(stack="plat-ue1-prod", component="vpc"),
                        PolicyContext(stack="plat-ue1-prod", component="vpc",
                                      settings={"harness": {"waivers": [WAIVER]}}),
                        ["network.no-public-ingress"], today=TODAY)
    assert len(not_here.stale) == 1
    assert stale_waivers([used_here, not_here]) == []
    assert [w.index for w in stale_waivers([not_here])] == [0]


@pytest.mark.parametrize(("entry", "problem"), [
    ({k: v for k, v in WAIVER.items() if k != "reason"}, "no reason"),
    ({**WAIVER, "reason": "  "}, "no reason"),
    ({k: v for k, v in WAIVER.items() if k != "expires"}, "no expires date"),
    ({**WAIVER, "expires": "31/01/2026"}, "expires '31/01/2026' is not a date (YYYY-MM-DD)"),
    ({**WAIVER, "expires": "2026-02-30"}, "is not a date"),
    ({k: v for k, v in WAIVER.items() if k != "resources"}, "no resources"),
    ({**WAIVER, "policy": "network.no-such-thing"}, "policy 'network.no-such-thing' matches no known policy"),
    ({**WAIVER, "expiry": "2026-01-01"}, "unknown key(s) expiry"),
    ("network.no-public-ingress", "must be a mapping"),
])
def test_malformed_waivers_are_errors_naming_the_stack(entry: Any, problem: str) -> None:
    result = evaluate_with([WAIVER, entry])
    [error] = result.errors
    assert error.startswith("plat-ue1-prod: waiver #1")
    assert problem in error
    assert len(result.waived) == 1  # the valid waiver still applies
    assert not result.ok


def test_waivers_must_be_a_list() -> None:
    result = evaluate_with(WAIVER)
    assert result.errors == ["plat-ue1-prod: settings.harness.waivers must be a list of waivers, got dict"]


def test_parse_waivers_reads_yaml_dates_and_strings() -> None:
    waivers, errors = parse_waivers([{**WAIVER, "expires": dt.datetime(2026, 1, 31, 12, 0)},
                                     {**WAIVER, "expires": "2026-02-01", "ticket": None}], stack="s")
    assert errors == []
    assert [w.expires for w in waivers] == [dt.date(2026, 1, 31), dt.date(2026, 2, 1)]
    assert waivers[1].ticket is None and waivers[1].ticket_text == ""


def test_waivers_come_from_inherited_settings(write_repo: Any) -> None:
    """Atmos merges settings: an org-wide waiver reaches the stack's instance through the resolver."""
    from harness.atmos import Resolver, load_config

    root = write_repo({
        "stacks/orgs/acme/_defaults.yaml": """
            settings:
              harness:
                waivers:
                  - policy: network.no-public-ingress
                    resources: aws_security_group_rule.ssh
                    reason: inherited from the org
                    expires: 2026-12-31
        """,
        "stacks/orgs/acme/prod.yaml": """
            import: [orgs/acme/_defaults]
            vars: {tenant: plat, environment: ue1, stage: prod}
            components:
              terraform:
                bastion:
                  metadata: {component: sg}
                  vars: {}
        """,
        "components/terraform/sg/main.tf": "",
    })
    inst = Resolver(load_config(root)).instance("bastion", "plat-ue1-prod")
    result = evaluate(ssh_plan("bastion"), PolicyContext.from_instance(inst), ["network.no-public-ingress"],
                      today=TODAY)
    [waived] = result.waived
    assert waived.waiver is not None and waived.waiver.reason == "inherited from the org"
