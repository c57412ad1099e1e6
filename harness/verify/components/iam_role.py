"""iam-role: the role's trust (principals, actions, conditions), attached managed policies, inline policy
names, permissions boundary, maximum session duration, path, description and tags."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from harness.verify.context import Checker, safe_call

COMPONENT = "iam-role"
_ACCOUNT = re.compile(r"^\d{12}$")


def _document(value: Any) -> dict[str, Any]:
    """A policy document as a dict (IAM may return it URL-encoded)."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value:
        return dict(json.loads(urllib.parse.unquote(value)))
    return {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _principal(kind: str, identifier: str) -> str:
    """AWS stores a bare account id as its root ARN."""
    if kind == "AWS" and _ACCOUNT.match(identifier):
        return f"arn:aws:iam::{identifier}:root"
    return identifier


def trust_parts(document: Mapping[str, Any]) -> dict[str, Any]:
    """Principals by type, actions and conditions of the Allow statements of a trust policy."""
    principals: dict[str, set[str]] = {}
    actions: set[str] = set()
    conditions: set[str] = set()
    for statement in _list(document.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            principals.setdefault("*", set()).add("*")
        elif isinstance(principal, Mapping):
            for kind, ids in principal.items():
                principals.setdefault(str(kind), set()).update(_principal(str(kind), str(i)) for i in _list(ids))
        actions.update(str(a) for a in _list(statement.get("Action")))
        for test, variables in (statement.get("Condition") or {}).items():
            for variable, values in variables.items():
                conditions.add(f"{test} {variable} {sorted(str(v) for v in _list(values))}")
    return {"principals": {k: sorted(v) for k, v in sorted(principals.items())}, "actions": sorted(actions),
            "conditions": sorted(conditions)}


def validate(ctx: Checker) -> None:
    name = ctx.name()
    iam = ctx.client("iam")
    role_name = ctx.output("role_name") or name

    def find() -> dict[str, Any] | None:
        role = safe_call(lambda: iam.get_role(RoleName=role_name)["Role"], missing=None)
        return dict(role) if role else None

    ctx.exists("iam_role.exists", f"role {role_name}", find, label=lambda r: str(r.get("Arn")))
    need = "iam_role.exists"

    def now() -> dict[str, Any]:
        return ctx.read("role", lambda: dict(iam.get_role(RoleName=role_name)["Role"]))

    def trust() -> dict[str, Any]:
        return trust_parts(_document(now().get("AssumeRolePolicyDocument")))

    def expected_principals() -> dict[str, list[str]]:
        principals = ctx.var("principals") or {}
        return {str(k): sorted(_principal(str(k), str(i)) for i in _list(v)) for k, v in sorted(principals.items())}

    ctx.check("iam_role.trust_principals", expected_principals, lambda: trust()["principals"], needs=need)
    ctx.check("iam_role.trust_actions", lambda: sorted(set(ctx.var("assume_role_actions") or [])),
              lambda: trust()["actions"], needs=need)

    def expected_conditions() -> list[str]:
        found = {f"{c['test']} {c['variable']} {sorted(str(v) for v in c['values'])}"
                 for c in ctx.var("assume_role_conditions") or []}
        return sorted(found)

    ctx.check("iam_role.trust_conditions", expected_conditions, lambda: trust()["conditions"], needs=need)

    def attached() -> list[str]:
        arns: list[str] = []
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
            arns.extend(p["PolicyArn"] for p in page.get("AttachedPolicies") or [])
        return sorted(arns)

    ctx.check("iam_role.managed_policies", lambda: sorted(set(ctx.var("managed_policy_arns") or [])), attached,
              needs=need)

    def inline() -> list[str]:
        names: list[str] = []
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
            names.extend(page.get("PolicyNames") or [])
        return sorted(names)

    ctx.check("iam_role.inline_policies", lambda: sorted((ctx.var("inline_policies") or {}).keys()), inline,
              needs=need)
    ctx.check("iam_role.permissions_boundary", lambda: ctx.var("permissions_boundary"),
              lambda: (now().get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"), needs=need)
    ctx.check("iam_role.max_session_duration", lambda: int(ctx.var("max_session_duration")),
              lambda: now().get("MaxSessionDuration"), needs=need)
    ctx.check("iam_role.path", lambda: ctx.var("path"), lambda: now().get("Path"), needs=need)
    ctx.check("iam_role.description", lambda: ctx.var("description"), lambda: now().get("Description"), needs=need)
    wanted_tags = {**ctx.default_tags(), "Name": name}

    def tags() -> dict[str, str | None]:
        found: dict[str, str] = {}
        for page in iam.get_paginator("list_role_tags").paginate(RoleName=role_name):
            found.update({t["Key"]: t["Value"] for t in page.get("Tags") or []})
        return {k: found.get(k) for k in wanted_tags}

    ctx.check("iam_role.tags", wanted_tags, tags, needs=need)
