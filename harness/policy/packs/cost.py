"""Cost and ownership policies: required tags, budget notifications."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping

from harness.plan import Plan, Resource, Undetermined, Unknown
from harness.policy.helpers import as_list, is_taggable, live, missing_tags, stack_required_tags
from harness.policy.model import Param, PolicyContext, Violation, undetermined, violation
from harness.policy.registry import policy


@policy(
    "tags.required",
    title="Taggable resources carry the organization's required tags",
    severity="low",
    controls=("NIST-CM-8", "NIST-PM-5"),
    params={"tags": Param([], "required tag keys in addition to settings.harness.required_tags"),
            "extra_types": Param([], "more resource types to treat as taggable"),
            "ignore_types": Param([], "resource type globs to skip")},
)
def required_tags(plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """Cost allocation, ownership and incident routing all start from tags; an untagged resource is nobody's."""
    required = list(dict.fromkeys([*stack_required_tags(ctx), *[str(t) for t in ctx.param("tags")]]))
    if not required:
        return
    ignore = [str(g) for g in ctx.param("ignore_types")]
    extra = [str(t) for t in ctx.param("extra_types")]
    for res in live(plan):
        if not is_taggable(res, extra) or any(fnmatch.fnmatchcase(res.type, g) for g in ignore):
            continue
        try:
            absent = missing_tags(res, required, ctx.default_tags)
        except Undetermined as exc:
            yield undetermined(res, exc)
            continue
        if absent:
            yield violation(res, f"missing required tag(s) {', '.join(absent)}", value=absent, path="tags")


@policy(
    "budgets.notifications",
    title="Budgets notify someone",
    severity="low",
    controls=("NIST-PM-3",),
    params={"min_notifications": Param(1, "notifications each budget must have")},
    resource_types=("aws_budgets_budget",),
)
def budget_notifications(resource: Resource, plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A budget without a notification only tells you about the overrun when the invoice arrives."""
    blocks = resource.get("notification", None)
    if isinstance(blocks, Unknown):
        raise Undetermined(blocks.reason, address=resource.address, path="notification", ref=blocks.ref)
    notes = [b for b in as_list(blocks) if isinstance(b, Mapping)]
    wanted = int(ctx.param("min_notifications"))
    if len(notes) < wanted:
        yield violation(resource, f"{len(notes)} notification(s), at least {wanted} required", value=len(notes),
                        path="notification")
        return
    for i, note in enumerate(notes):
        emails = note.get("subscriber_email_addresses")
        topics = note.get("subscriber_sns_topic_arns")
        if isinstance(emails, Unknown) or isinstance(topics, Unknown):
            continue
        if not as_list(emails) and not as_list(topics):
            yield violation(resource, f"notification {i} has no subscriber (no email address, no SNS topic)",
                            path=f"notification.{i}")
