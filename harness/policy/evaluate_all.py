"""Every policy engine over every instance at once: built-in and repository policies, checkov, organization policies.

``evaluate_all`` is the one entry point ``harness check`` calls. Each instance gets its
own ``PolicyResult``: built-in findings, checkov's findings on its plan, the organization
clashes that involve it. A stack lacking coverage by an organization policy gets a
finding with component ``organization`` (waivers scoped to that component apply),
carried in the result of one of the stack's instances. Stack settings select, waive and
threshold all of them alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.plan import Plan
from harness.policy.checkov_catalog import PREFIX as CHECKOV_PREFIX
from harness.policy.checkov_process import CheckovProcess
from harness.policy.checkov_run import CheckovError, checkov_absent, checkov_command, findings_for, run_checkov
from harness.policy.evaluate import evaluate
from harness.policy.model import Finding, PolicyContext, PolicyError, PolicyResult
from harness.policy.organization import COMPONENT, Member, account_of, evaluate_organization
from harness.policy.organization import PREFIX as ORG_PREFIX
from harness.policy.registry import Registry, default_registry
from harness.policy.settings import parse_policy_settings

if TYPE_CHECKING:
    from harness.atmos import Instance


@dataclass
class Evaluation:
    """The results of one ``evaluate_all``: per instance, per stack for organization gaps, and checkov's status."""

    results: list[PolicyResult] = field(default_factory=list)
    checkov: str = "off"
    notes: list[str] = field(default_factory=list)


def _checkov_wanted(instance: Instance, registry: Registry) -> bool:
    raw = instance.settings.get("harness")
    policies = raw.get("policies") if isinstance(raw, Mapping) else None
    try:
        return parse_policy_settings(policies, registry, where=instance.id).checkov
    except PolicyError:
        return True  # the settings error is reported by evaluate


def _organization_instance(instances: Sequence[Instance]) -> Instance | None:
    """The instance whose settings speak for its stack on organization gaps: one that waives an ``org.`` policy
    (a component's own waivers list replaces the stack-wide one), else None."""
    for inst in instances:
        harness = inst.settings.get("harness")
        waivers = harness.get("waivers") if isinstance(harness, Mapping) else None
        if isinstance(waivers, list) and any(isinstance(w, Mapping) and str(w.get("policy", "")).startswith(
                ORG_PREFIX) for w in waivers):
            return inst
    return None


def _reporting_stack(finding: Finding, by_stack: Mapping[str, Sequence[Instance]]) -> str:
    """Of the stacks of the account and region lacking coverage, one whose settings address organization policies."""
    stacks = finding.value.get("stacks", []) if isinstance(finding.value, Mapping) else []
    for stack in stacks:
        if stack in by_stack and _organization_instance(by_stack[stack]) is not None:
            return str(stack)
    return finding.stack


def evaluate_all(items: Sequence[tuple[Instance, Plan]], *, today: dt.date | None = None,
                 registry: Registry | None = None, checkov: Sequence[str] | bool | None = True,
                 default_tags: Mapping[str, Mapping[str, Any]] | None = None,
                 process: CheckovProcess | None = None) -> Evaluation:
    """Evaluate every (instance, plan); ``checkov``: True finds the command, False/None switches it off.

    ``process``: a checkov started ahead (``start_checkov``) with the same command; the caller closes it."""
    reg = registry if registry is not None else default_registry()
    out = Evaluation()
    command = checkov_command() if checkov is True else (list(checkov) if checkov else None)
    checked = {i for i, (inst, _) in enumerate(items) if _checkov_wanted(inst, reg)}
    external: dict[int, list[Finding]] = {i: [] for i in range(len(items))}
    passed: dict[int, list[str]] = {i: [] for i in range(len(items))}
    ran: set[int] = set()  # instances checkov checked (its waivers are stale only there)
    if command is not None and checked:
        order = sorted(checked)
        try:
            run = run_checkov([items[i][1] for i in order], command=command, process=process)
        except CheckovError as exc:
            out.checkov = "error"
            out.notes.append(str(exc))
            out.results.append(PolicyResult(stack="(all)", component="checkov", errors=[f"checkov: {exc}"]))
        else:
            out.checkov = f"checkov {run.version}".strip()
            if run.note:
                out.notes.append(run.note)
            ran = set(order)
            for position, i in enumerate(order):
                found, ok = findings_for(items[i][1], run.checks.get(position, []))
                external[i] += found
                passed[i] += ok
    elif checkov is True and command is None:
        out.notes.append(f"{checkov_absent()}: its checks did not run")
    members = [Member(stack=inst.stack, component=inst.component,
                      account=account_of(inst.settings, inst.vars, inst.stack),
                      region=str(inst.vars.get("region") or ""), plan=plan) for inst, plan in items]
    index = {(inst.stack, inst.component): i for i, (inst, _) in enumerate(items)}
    gaps: dict[str, list[Finding]] = {}
    by_stack: dict[str, list[Instance]] = {}
    for inst, _ in items:
        by_stack.setdefault(inst.stack, []).append(inst)
    for finding in evaluate_organization(members):
        if finding.component == COMPONENT:
            stack = _reporting_stack(finding, by_stack)
            gaps.setdefault(stack, []).append(dataclasses.replace(finding, stack=stack))
        else:
            external[index[(finding.stack, finding.component)]].append(finding)
    tags = default_tags or {}
    for i, (inst, plan) in enumerate(items):
        context = PolicyContext.from_instance(inst, default_tags=tags.get(inst.id))
        result = evaluate(plan, context, registry=reg, today=today, external=external[i],
                          external_passed=passed[i])
        if i not in ran:
            result.stale = [w for w in result.stale if not w.policy.startswith(CHECKOV_PREFIX)]
        out.results.append(result)
    hosts = {(r.stack, r.component): r for r in out.results}
    for stack, findings in sorted(gaps.items()):
        inst = _organization_instance(by_stack[stack]) or by_stack[stack][0]
        empty = Plan(stack=stack, component=COMPONENT, engine="organization", complete=True)
        context = PolicyContext(stack=stack, component=COMPONENT, settings=inst.settings, vars=inst.vars)
        gap = evaluate(empty, context, [], registry=reg, today=today, external=findings)
        host = hosts[(inst.stack, inst.component)]  # organization waivers are org-wide: none is stale here
        host.findings += gap.findings
        host.errors += [e for e in gap.errors if e not in host.errors]
    return out
