"""Security Hub: the standards each stack requires, in the stack's region."""

from __future__ import annotations

import pytest

from harness.atmos import Instance
from harness.plan import Plan

pytestmark = pytest.mark.component("securityhub")


def test_subscribes_exactly_the_stack_standards(plan: Plan, instance: Instance) -> None:
    subs = plan.resources(type="aws_securityhub_standards_subscription")
    assert {s.index for s in subs} == set(instance.vars["standards"])


def test_standard_arns_are_in_the_stack_region(plan: Plan, instance: Instance) -> None:
    for sub in plan.resources(type="aws_securityhub_standards_subscription"):
        arn = sub.values["standards_arn"]
        assert arn.startswith(f"arn:aws:securityhub:{instance.vars['region']}::standards/{sub.index}/"), arn


def test_default_standards_not_enabled_implicitly(plan: Plan) -> None:
    assert plan.resource("aws_securityhub_account.this").values["enable_default_standards"] is False
