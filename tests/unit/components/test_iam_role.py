"""IAM roles: permissions boundary always, bounded sessions, exactly the stack's policies."""

from __future__ import annotations

import json

import pytest

from harness.atmos import Instance
from harness.plan import Plan, require_known

pytestmark = pytest.mark.component("iam-role")


def test_role_has_the_stack_permissions_boundary(plan: Plan, instance: Instance) -> None:
    role = plan.resource("aws_iam_role.this")
    boundary = role.values["permissions_boundary"]
    assert boundary == instance.vars["permissions_boundary"]
    assert boundary.startswith(f"arn:aws:iam::{instance.settings['account']['id']}:policy/")


def test_session_duration_is_the_stack_value_and_bounded(plan: Plan, instance: Instance) -> None:
    duration = plan.resource("aws_iam_role.this").values["max_session_duration"]
    assert duration == instance.vars.get("max_session_duration", 3600)
    assert 3600 <= duration <= 43200


def test_managed_policies_are_exactly_the_stack_list(plan: Plan, instance: Instance) -> None:
    attached = {a.values["policy_arn"] for a in plan.resources(type="aws_iam_role_policy_attachment")}
    assert attached == set(instance.vars.get("managed_policy_arns", []))


def test_trust_policy_trusts_the_stack_principals_only(plan: Plan, instance: Instance) -> None:
    role = plan.resource("aws_iam_role.this")
    document = json.loads(require_known(role.values["assume_role_policy"], address=role.address))
    trusted: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for kind, ids in statement["Principal"].items():
            trusted.setdefault(kind, set()).update([ids] if isinstance(ids, str) else ids)
    # the principals the plan used: `!terraform.output` of account-map is its planned (known) value there
    wanted = {kind: set([ids] if isinstance(ids, str) else ids) for kind, ids in plan.variables["principals"].items()}
    assert trusted == wanted
    assert "*" not in {p for ids in trusted.values() for p in ids}


def test_inline_policies_are_named_as_in_the_stack(plan: Plan, instance: Instance) -> None:
    names = {p.index for p in plan.resources(type="aws_iam_role_policy")}
    assert names == set(instance.vars.get("inline_policies", {}))
