"""Run policies over one instance's plan: selection, parameters, findings, waivers.

``evaluate`` never raises for a bad policy, bad settings or a bad waiver: each becomes a
message in ``PolicyResult.errors`` naming the stack, so one broken stack cannot hide
the results of the others.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.plan import Plan, Resource, Undetermined
from harness.policy.checkov_catalog import PREFIX, severity_of
from harness.policy.helpers import DocumentError, live
from harness.policy.model import (
    Finding,
    Outcome,
    Policy,
    PolicyContext,
    PolicyError,
    PolicyResult,
    Severity,
    Violation,
    undetermined,
)
from harness.policy.registry import Registry, default_registry
from harness.policy.settings import PolicySettings, parse_policy_settings
from harness.policy.waivers import EXPIRED_POLICY, Waiver, expiry_message, waivers_of

if TYPE_CHECKING:
    from harness.atmos import Instance


def _run(item: Policy, plan: Plan, ctx: PolicyContext) -> list[Violation]:
    out: list[Violation] = []
    if item.resource_types:
        for rtype in item.resource_types:
            for res in live(plan, rtype):
                try:
                    out.extend(item.check(res, plan, ctx) or ())
                except Undetermined as exc:
                    out.append(undetermined(res, exc))
                except DocumentError as exc:
                    out.append(Violation(message=f"policy document is invalid: {exc}", resource=res))
        return out
    try:
        out.extend(item.check(plan, ctx) or ())
    except Undetermined as exc:
        out.append(Violation(message=str(exc), resource=_resource_at(plan, exc.address), path=exc.path,
                             undetermined=True, ref=exc.ref))
    return out


def applies(item: Policy, plan: Plan) -> bool:
    """Does the plan hold a resource the policy is about (or might, behind a block the engine could not expand)?"""
    if plan.unexpanded or plan.conditional:
        return True
    if not item.scope:
        return bool(live(plan))
    return any(live(plan, rtype) for rtype in item.scope)


def is_empty(plan: Plan) -> bool:
    """No managed resource will exist after apply and nothing is left unexpanded: nothing to check."""
    return not live(plan) and not plan.unexpanded and not plan.conditional


def _resource_at(plan: Plan, address: str | None) -> Resource | None:
    if address is None:
        return None
    found = [r for r in plan.resources() if r.address == address]
    return found[0] if found else None


def _finding(item: Policy, ctx: PolicyContext, v: Violation) -> Finding:
    return Finding(
        policy=item.id,
        severity=item.severity,
        outcome=Outcome.UNDETERMINED if v.undetermined else Outcome.FAIL,
        stack=ctx.stack,
        component=ctx.component,
        address=None if v.resource is None else v.resource.address,
        message=v.message,
        source=None if v.resource is None else v.resource.source,
        value=v.value,
        path=v.path,
        controls=item.controls,
    )


_OUTCOME_ORDER = {Outcome.FAIL: 0, Outcome.UNDETERMINED: 1, Outcome.WAIVED: 2}


def _sort_key(f: Finding) -> tuple[Any, ...]:
    """Failures first, most severe first."""
    return (_OUTCOME_ORDER[f.outcome], -int(f.severity), f.policy, f.address or "", f.path or "", f.message)


def _apply_waivers(findings: list[Finding], waivers: list[Waiver], today: dt.date) -> tuple[list[Finding], set[int]]:
    used: set[int] = set()
    out: list[Finding] = []
    expired_seen: set[tuple[int, str | None]] = set()
    for finding in findings:
        hits = [w for w in waivers if w.matches(finding.policy, finding.address)]
        if not hits:
            out.append(finding)
            continue
        used.update(w.index for w in hits)
        valid = [w for w in hits if not w.expired(today)]
        if valid:
            waiver = valid[0]
            out.append(dataclasses.replace(finding, outcome=Outcome.WAIVED, waiver=waiver,
                                           message=f"{finding.message} [waived until {waiver.expires.isoformat()}"
                                                   f"{waiver.ticket_text}: {waiver.reason}]"))
            continue
        out.append(finding)
        for waiver in hits:
            key = (waiver.index, finding.address)
            if key in expired_seen:
                continue
            expired_seen.add(key)
            out.append(Finding(policy=EXPIRED_POLICY, severity=finding.severity, outcome=Outcome.FAIL,
                               stack=finding.stack, component=finding.component, address=finding.address,
                               message=expiry_message(waiver, finding.policy, finding.address),
                               source=finding.source, value=waiver.expires.isoformat(), controls=finding.controls,
                               waiver=waiver))
    return out, used


def _select(candidates: Iterable[Policy | str] | None, registry: Registry) -> list[Policy]:
    if candidates is None:
        return list(registry)
    out: list[Policy] = []
    for item in candidates:
        out.append(registry.get(item) if isinstance(item, str) else item)
    return out


def evaluate(
    plan: Plan,
    context: PolicyContext,
    policies: Iterable[Policy | str] | None = None,
    *,
    registry: Registry | None = None,
    today: dt.date | None = None,
    settings: PolicySettings | None = None,
    external: Sequence[Finding] = (),
    external_passed: Sequence[str] = (),
) -> PolicyResult:
    """Run the selected policies on ``plan`` and apply the instance's waivers.

    ``policies`` narrows the candidates (ids or Policy objects; default: the registry);
    the stack's ``settings.harness.policies`` (or ``settings``) then selects among them
    and supplies parameters. ``today`` decides which waivers have expired. ``external``
    are findings another engine made on this plan (checkov's; ``external_passed`` the ids
    it passed): the stack's selection, threshold and waivers apply to them alike.
    """
    reg = registry if registry is not None else default_registry()
    day = today if today is not None else dt.date.today()
    where = f"{context.stack}/{context.component}"
    result = PolicyResult(stack=context.stack, component=context.component)
    if settings is None:
        try:
            settings = parse_policy_settings(context.harness.get("policies"), reg, where=where)
        except PolicyError as exc:
            result.errors.append(exc.message)
            return result
    waivers, errors = waivers_of(context.settings, stack=context.stack, registry=reg)
    result.errors.extend(errors)
    try:
        selected = _select(policies, reg)
    except PolicyError as exc:
        result.errors.append(f"{where}: {exc.message}")
        return result
    findings: list[Finding] = []
    result.empty = is_empty(plan)
    for item in selected:
        why_not = settings.selects(item)
        if why_not is not None:
            result.skipped.append(item.id)
            continue
        if not applies(item, plan):
            result.not_applicable.append(item.id)
            continue
        ctx = dataclasses.replace(context, params=settings.params_for(item))
        try:
            violations = _run(item, plan, ctx)
        except Exception as exc:  # noqa: BLE001 -- a broken policy is reported, the others still run
            result.errors.append(f"{where}: policy {item.id} ({item.origin}) failed: {type(exc).__name__}: {exc}")
            continue
        if not violations:
            result.passed.append(item.id)
            continue
        seen: set[tuple[Any, ...]] = set()
        for v in violations:
            finding = _finding(item, ctx, v)
            key = (finding.outcome, finding.address, finding.path, finding.message)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    findings += _external(external, settings, result)
    result.passed += [pid for pid in external_passed if settings.selects_id(pid, severity_of(pid.removeprefix(
        PREFIX))) is None]
    in_scope = [w for w in waivers if w.applies_to(context.component)]
    findings, used = _apply_waivers(sorted(findings, key=_sort_key), in_scope, day)
    result.findings = sorted(findings, key=_sort_key)
    result.stale = [w for w in in_scope if w.index not in used]
    return result


def _external(findings: Sequence[Finding], settings: PolicySettings, result: PolicyResult) -> list[Finding]:
    out: list[Finding] = []
    for finding in findings:
        if settings.selects_id(finding.policy, finding.severity) is None:
            out.append(finding)
        elif finding.policy not in result.skipped:
            result.skipped.append(finding.policy)
    return out


def evaluate_instance(plan: Plan, instance: Instance, *, default_tags: Mapping[str, Any] | None = None,
                      **kwargs: Any) -> PolicyResult:
    """``evaluate`` with the context of an Atmos ``Instance``."""
    return evaluate(plan, PolicyContext.from_instance(instance, default_tags=default_tags), **kwargs)


def threshold_failures(result: PolicyResult, threshold: Severity | str = Severity.INFO) -> list[Finding]:
    """Failures at or above ``threshold`` (for a CI gate that only blocks on high and critical)."""
    level = Severity.parse(threshold)
    return [f for f in result.failures if f.severity >= level]
