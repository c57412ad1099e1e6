"""IAM policies: administrator and wildcard grants, trust policies, permissions boundaries, inline policies, sizes.

Documents are read where they are attached (``aws_iam_policy``, ``aws_iam_role_policy``,
``aws_iam_user_policy``, ``aws_iam_group_policy``, ``aws_iam_role.inline_policy``,
``aws_iam_role.assume_role_policy``); a reference to a ``data.aws_iam_policy_document``
is followed to its rendered JSON or its statements. Key and bucket policies are not
identity policies and are not checked here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

from harness.plan import Plan, Resource, Undetermined, Unknown, require_known
from harness.policy.helpers import (
    as_list,
    computed_unset,
    document_size,
    effect,
    is_blank,
    linked,
    live,
    policy_document,
    principal_is_public,
    statements,
    strings,
)
from harness.policy.model import Param, PolicyContext, Violation, undetermined, violation
from harness.policy.registry import policy

IDENTITY_POLICY_TYPES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy",
                         "aws_iam_role")
INLINE_TYPES = ("aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")


def identity_documents(plan: Plan, resource: Resource) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """(path, document) of every identity policy ``resource`` carries; raises Undetermined for an unknown one."""
    if resource.type == "aws_iam_role":
        if computed_unset(resource, "inline_policy"):
            return
        blocks = resource.get("inline_policy", None)
        if isinstance(blocks, Unknown):
            raise Undetermined(blocks.reason, address=resource.address, path="inline_policy", ref=blocks.ref)
        for i, block in enumerate(as_list(blocks)):
            if isinstance(block, Mapping) and not is_blank(block.get("policy")):
                yield f"inline_policy.{i}.policy", policy_document(plan, resource, f"inline_policy.{i}.policy")
        return
    yield "policy", policy_document(plan, resource, "policy")


def _each_statement(plan: Plan, resource: Resource) -> Iterator[tuple[str, int, Mapping[str, Any]] | Violation]:
    try:
        docs = list(identity_documents(plan, resource))
    except Undetermined as exc:
        yield undetermined(resource, exc)
        return
    for path, doc in docs:
        for i, stmt in enumerate(statements(doc)):
            yield path, i, stmt


@policy(
    "iam.no-admin-access",
    title="No IAM policy allows Action \"*\" on Resource \"*\"",
    severity="critical",
    controls=("CIS-1.16", "NIST-AC-6", "NIST-AC-3", "FSBP-IAM.1"),
    resource_types=IDENTITY_POLICY_TYPES,
)
def no_admin_access(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Full administrator rights defeat least privilege: one leaked credential owns the account."""
    for item in _each_statement(plan, resource):
        if isinstance(item, Violation):
            yield item
            continue
        path, i, stmt = item
        try:
            if effect(stmt) != "Allow" or "Action" not in stmt:
                continue
            actions = strings(stmt.get("Action"), "Action")
            resources = strings(stmt.get("Resource", "*"), "Resource")
        except Undetermined as exc:
            yield undetermined(resource, exc, path=f"{path}.Statement.{i}")
            continue
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            yield violation(resource, "statement allows Action \"*\" on Resource \"*\"",
                            value=dict(stmt), path=f"{path}.Statement.{i}")


_SERVICE_WILDCARD = re.compile(r"^([A-Za-z0-9-]+:)?\*$")


@policy(
    "iam.no-service-wildcards",
    title="No IAM policy allows every action of a service (\"s3:*\")",
    severity="medium",
    controls=("NIST-AC-6", "FSBP-IAM.21"),
    params={"allowed_actions": Param([], "action globs that may be granted anyway, e.g. [\"logs:*\"]")},
    resource_types=IDENTITY_POLICY_TYPES,
)
def no_service_wildcards(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """``service:*`` grants every current and future action of the service, including destructive ones."""
    allowed = [str(a) for a in ctx.param("allowed_actions")]
    for item in _each_statement(plan, resource):
        if isinstance(item, Violation):
            yield item
            continue
        path, i, stmt = item
        try:
            if effect(stmt) != "Allow":
                continue
            actions = strings(stmt.get("Action"), "Action")
        except Undetermined as exc:
            yield undetermined(resource, exc, path=f"{path}.Statement.{i}")
            continue
        wild = [a for a in actions if _SERVICE_WILDCARD.match(a)
                and not any(fnmatch.fnmatchcase(a, g) for g in allowed)]
        if wild:
            yield violation(resource, f"statement allows wildcard action(s) {', '.join(wild)}", value=wild,
                            path=f"{path}.Statement.{i}.Action")


@policy(
    "iam.role-permissions-boundary",
    title="IAM roles have a permissions boundary",
    severity="medium",
    controls=("NIST-AC-6", "NIST-AC-2"),
    params={"exempt_roles": Param([], "role name globs that need no boundary")},
    resource_types=("aws_iam_role",),
)
def role_permissions_boundary(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A boundary caps what a role can ever do, even when a broader policy is attached to it later."""
    name = resource.get("name", None)
    exempt = [str(g) for g in ctx.param("exempt_roles")]
    if isinstance(name, str) and any(fnmatch.fnmatchcase(name, g) for g in exempt):
        return
    boundary = resource.get("permissions_boundary", None)
    if isinstance(boundary, Unknown):
        if computed_unset(resource, "permissions_boundary"):
            yield violation(resource, "no permissions_boundary", path="permissions_boundary")
            return
        raise Undetermined(boundary.reason, address=resource.address, path="permissions_boundary", ref=boundary.ref)
    if not boundary:
        yield violation(resource, "no permissions_boundary", value=boundary, path="permissions_boundary")


@policy(
    "iam.no-public-trust",
    title="Role trust policies do not let any principal assume the role without conditions",
    severity="critical",
    controls=("NIST-AC-3", "NIST-AC-6"),
    resource_types=("aws_iam_role",),
)
def no_public_trust(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """``Principal: {"AWS": "*"}`` without a condition lets every AWS account in the world assume the role."""
    doc = policy_document(plan, resource, "assume_role_policy")
    for i, stmt in enumerate(statements(doc)):
        try:
            if effect(stmt) != "Allow" or "Principal" not in stmt:
                continue
            public = principal_is_public(stmt["Principal"])
        except Undetermined as exc:
            yield undetermined(resource, exc, path=f"assume_role_policy.Statement.{i}")
            continue
        if public and not stmt.get("Condition"):
            yield violation(resource, "trust policy allows any principal (\"*\") with no condition",
                            value=stmt.get("Principal"), path=f"assume_role_policy.Statement.{i}")


@policy(
    "iam.no-inline-policies",
    title="Permissions come from managed policies, not inline policies",
    severity="low",
    controls=("NIST-AC-6", "NIST-CM-2"),
    resource_types=(*INLINE_TYPES, "aws_iam_role"),
)
def no_inline_policies(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Inline policies cannot be reused, versioned or reviewed centrally; managed policies can."""
    if resource.type in INLINE_TYPES:
        yield violation(resource, f"inline policy ({resource.type}) instead of a managed policy",
                        value=resource.get("name", None))
        return
    if computed_unset(resource, "inline_policy"):
        return
    blocks = resource.get("inline_policy", None)
    if isinstance(blocks, Unknown):
        raise Undetermined(blocks.reason, address=resource.address, path="inline_policy", ref=blocks.ref)
    names = [b.get("name") for b in as_list(blocks) if isinstance(b, Mapping) and not is_blank(b.get("policy"))]
    if names:
        yield violation(resource, f"role declares {len(names)} inline_policy block(s)", value=names,
                        path="inline_policy")


def _size(plan: Plan, resource: Resource, path: str) -> int | Undetermined:
    try:
        # a document with a value known only after apply (an ARN) has no size yet
        doc = require_known(policy_document(plan, resource, path), address=resource.address, path=path)
    except Undetermined as exc:
        return exc
    return 0 if doc is None else document_size(doc)


def _raw_size(plan: Plan, resource: Resource, path: str) -> int | Undetermined:
    value = resource.get(path, None)
    if isinstance(value, str):
        return document_size(value)
    return _size(plan, resource, path)


@policy(
    "iam.policy-size",
    title="Policy documents fit the IAM size quotas",
    severity="medium",
    controls=(),
    params={"managed_max": Param(6144, "managed policy size (characters without white space)"),
            "role_inline_max": Param(10240, "all inline policies of one role together"),
            "user_inline_max": Param(2048, "all inline policies of one user together"),
            "group_inline_max": Param(5120, "all inline policies of one group together"),
            "trust_max": Param(2048, "role trust policy (default quota; can be raised to 4096)")},
    applies_to=(*IDENTITY_POLICY_TYPES, "aws_iam_user_policy", "aws_iam_group_policy"),
)
def policy_size(plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """An oversized document is only rejected at apply time, half-way through a deployment."""
    managed_max = int(ctx.param("managed_max"))
    for res in live(plan, "aws_iam_policy"):
        size = _raw_size(plan, res, "policy")
        if isinstance(size, Undetermined):
            yield undetermined(res, size, path="policy")
        elif size > managed_max:
            yield violation(res, f"managed policy is {size} characters, over the {managed_max} quota", value=size,
                            path="policy")
    trust_max = int(ctx.param("trust_max"))
    for role in live(plan, "aws_iam_role"):
        size = _raw_size(plan, role, "assume_role_policy")
        if isinstance(size, Undetermined):
            yield undetermined(role, size, path="assume_role_policy")
        elif size > trust_max:
            yield violation(role, f"trust policy is {size} characters, over the {trust_max} quota", value=size,
                            path="assume_role_policy")
    yield from _aggregate(plan, "aws_iam_role", "aws_iam_role_policy", "role", int(ctx.param("role_inline_max")))
    yield from _aggregate(plan, "aws_iam_user", "aws_iam_user_policy", "user", int(ctx.param("user_inline_max")))
    yield from _aggregate(plan, "aws_iam_group", "aws_iam_group_policy", "group", int(ctx.param("group_inline_max")))


def _aggregate(plan: Plan, owner_type: str, policy_type: str, attr: str, limit: int) -> Iterator[Violation]:
    claimed: set[str] = set()
    for owner in live(plan, owner_type):
        links = linked(plan, policy_type, attr, owner, attrs=("name",))  # IAM ids are the names
        sure = 0
        maybe = 0
        unknown: list[Undetermined] = []
        if owner_type == "aws_iam_role" and not computed_unset(owner, "inline_policy"):
            for i, block in enumerate(as_list(owner.get("inline_policy", None), address=owner.address,
                                              path="inline_policy")):
                if isinstance(block, Mapping) and not is_blank(block.get("policy")):
                    size = _raw_size(plan, owner, f"inline_policy.{i}.policy")
                    if isinstance(size, Undetermined):
                        unknown.append(size)
                    else:
                        sure += size
        for res in links.sure:
            claimed.add(res.address)
            size = _raw_size(plan, res, "policy")
            if isinstance(size, Undetermined):
                unknown.append(size)
            else:
                sure += size
        for res in links.maybe:
            size = _raw_size(plan, res, "policy")
            maybe += 0 if isinstance(size, Undetermined) else size
            if isinstance(size, Undetermined):
                unknown.append(size)
        if sure > limit:
            yield violation(owner, f"inline policies total {sure} characters, over the {limit} quota", value=sure)
        elif unknown or (links.maybe and sure + maybe > limit):
            why = unknown[0] if unknown else f"{len(links.maybe)} policy(ies) may belong to it"
            yield undetermined(owner, f"cannot total the inline policies: {why}")
    for res in live(plan, policy_type):
        if res.address in claimed:
            continue
        size = _raw_size(plan, res, "policy")
        if isinstance(size, int) and size > limit:
            yield violation(res, f"inline policy is {size} characters, over the {limit} quota for one {attr}",
                            value=size, path="policy")


@policy(
    "iam.no-user-policies",
    title="IAM users get permissions only through groups",
    severity="medium",
    controls=("CIS-1.15", "NIST-AC-2", "NIST-AC-6", "FSBP-IAM.2"),
    resource_types=("aws_iam_user_policy", "aws_iam_user_policy_attachment", "aws_iam_policy_attachment"),
)
def no_user_policies(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Permissions attached to individual users drift and are forgotten when people change teams."""
    if resource.type == "aws_iam_policy_attachment":
        users = resource.get("users", None)
        if isinstance(users, Unknown):
            raise Undetermined(users.reason, address=resource.address, path="users", ref=users.ref)
        if users:
            yield violation(resource, "policy attached directly to user(s)", value=users, path="users")
        return
    yield violation(resource, f"policy attached directly to a user ({resource.type})",
                    value=resource.get("user", None), path="user")
