"""account-map: provider-free lookups every other component relies on."""

from __future__ import annotations

import pytest

from harness.atmos import Instance, Resolver
from harness.plan import Plan

pytestmark = pytest.mark.component("account-map")


def test_no_resources_and_no_provider(plan: Plan, component) -> None:  # type: ignore[no-untyped-def]
    assert plan.resources() == []
    assert component.providers == () and component.required_providers == {}


def test_account_ids_match_every_stack_account(plan: Plan, stacks: Resolver) -> None:
    ids = plan.outputs["account_ids"]
    for other in stacks.instances():
        account = other.settings.get("account") or {}
        if account:
            assert ids[account["name"]] == account["id"], other.id


def test_account_ids_are_distinct(plan: Plan) -> None:
    ids = list(plan.outputs["account_ids"].values())
    assert len(ids) == len(set(ids))
    assert all(len(i) == 12 and i.isdigit() for i in ids)


def test_terraform_role_per_account(plan: Plan, instance: Instance) -> None:
    roles = plan.outputs["terraform_role_arns"]
    for name, account_id in plan.outputs["account_ids"].items():
        assert roles[name] == f"arn:aws:iam::{account_id}:role/{instance.vars['terraform_role_name']}"
