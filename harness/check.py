"""``harness check``: stack validation, contracts and policies over every (or the selected) instance.

One pass that CI and pre-commit run before anything is planned for real; returns data, the CLI prints it.

It cannot pass by checking nothing: a manifest whose stack name cannot be resolved is a stack problem
(its components would otherwise silently be in no stack), a repository without a deployable instance
fails, and so does a ``--stacks``/``--components`` selection that matches none (a typo must not pass).
Only a selection that legitimately matches nothing (``--affected-since`` with nothing affected) passes,
and says so. Contract warnings are reported, errors block; findings block at ``settings.harness.fail_on``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.atmos import Resolver
from harness.atmos.validate import Problem, validate_stacks
from harness.contracts import ContractFinding, check_contracts
from harness.errors import HarnessError
from harness.policy import Outcome, PolicyResult, Severity, evaluate_all, load_user_policies
from harness.policy.checkov_process import CheckovProcess
from harness.policy.checkov_run import start_checkov
from harness.session import HarnessSession
from harness.thresholds import fail_on

ProgressFn = Callable[[int, int, str], None]


@dataclass
class CheckResult:
    """Everything a check found, and the verdict for a threshold."""

    problems: list[Problem] = field(default_factory=list)
    contracts: list[ContractFinding] = field(default_factory=list)
    policies: list[PolicyResult] = field(default_factory=list)
    plan_errors: dict[str, str] = field(default_factory=dict)
    threshold: Severity = Severity.INFO
    #: Why nothing was checked when that is a failure (no deployable instance, a selection matching none).
    empty: str | None = None
    #: Why nothing was checked when that is legitimate (nothing affected since the base ref).
    nothing_selected: str | None = None
    checked: int = 0

    @property
    def blocking_contracts(self) -> list[ContractFinding]:
        """Contract errors (what Terraform would reject); warnings do not fail the check."""
        return [c for c in self.contracts if c.blocking]
    notes: list[str] = field(default_factory=list)

    def empty_instances(self) -> list[PolicyResult]:
        """Instances whose plan holds no managed resource: nothing was checked there, so none of their policies
        passed (each is not applicable); reported apart, never counted as passing."""
        return [r for r in self.policies if r.empty]

    def failures(self) -> list[Any]:
        """Unwaived policy failures at or above the threshold (expired waivers always count)."""
        out = []
        for result in self.policies:
            for finding in result.failures:
                if finding.severity >= self.threshold or finding.policy == "waiver.expired":
                    out.append(finding)
        return out

    @property
    def ok(self) -> bool:
        return (not self.problems and not self.blocking_contracts and not self.plan_errors and not self.failures()
                and not any(r.errors for r in self.policies) and self.empty is None)

    def matrix(self) -> dict[tuple[str, str], dict[str, int]]:
        """(stack, component) -> counts: one per severity of failures, plus waived and undetermined."""
        cells: dict[tuple[str, str], dict[str, int]] = {}
        for result in self.policies:
            cell = cells.setdefault((result.stack, result.component), {})
            for finding in result.findings:
                key = finding.severity.name.lower() if finding.outcome is Outcome.FAIL else finding.outcome.value
                cell[key] = cell.get(key, 0) + 1
            if result.errors:
                cell["error"] = cell.get("error", 0) + len(result.errors)
        for contract in self.contracts:
            cell = cells.setdefault((contract.stack, contract.component), {})
            key = "contract" if contract.blocking else "warning"
            cell[key] = cell.get(key, 0) + 1
        for instance_id in self.plan_errors:
            stack, _, component = instance_id.partition("/")
            cell = cells.setdefault((stack, component), {})
            cell["error"] = cell.get("error", 0) + 1
        return cells

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "threshold": self.threshold.name.lower(),
            "checked": self.checked,
            "empty": self.empty,
            "nothing_selected": self.nothing_selected,
            "problems": [p.to_json() for p in self.problems],
            "contracts": [c.to_json() for c in self.contracts],
            "plan_errors": dict(sorted(self.plan_errors.items())),
            "policies": [r.to_json() for r in self.policies],
            "failures": [f.to_json() for f in self.failures()],
            "empty_instances": [f"{r.stack}/{r.component}" for r in self.empty_instances()],
            "notes": list(self.notes),
        }


def unnamed_stacks(resolver: Resolver) -> list[Problem]:
    """Top-level manifests whose stack name cannot be resolved: their concrete components are in no stack.

    The resolver leaves such entries out of the stack index (Atmos names a stack only from a complete
    name pattern or template), so without this check they would vanish from every count.
    """
    reasons: dict[str, tuple[str, list[str]]] = {}
    for entry in resolver.entries():
        if entry.stack is not None or (entry.processed.get("metadata") or {}).get("type") == "abstract":
            continue
        file = resolver.config.relative(entry.manifest.path)
        reasons.setdefault(file, (entry.unresolved_reason or "stack name not resolved", []))[1].append(
            entry.component)
    return [Problem(file, 0, f"stack name cannot be resolved: {reason}; its components ({', '.join(sorted(names))}) "
                    "are in no stack", "stack") for file, (reason, names) in sorted(reasons.items())]


def _why_empty(session: HarnessSession) -> str:
    options = session.options
    if any(i.deployable for i in session.resolver.instances()):
        chosen = [f"--{name} '{value}'" for name, value in (("stacks", options.stacks),
                                                             ("components", options.components)) if value]
        return f"the selection {' '.join(chosen) or '(none)'} matched no instance: nothing was checked"
    config = session.resolver.config
    return f"no deployable instance in the stacks under {config.relative(config.stacks_base_path)}: nothing was checked"


def run_check(session: HarnessSession, *, threshold: str | None = None, today: dt.date | None = None,
              progress: ProgressFn | None = None, nothing_selected: str | None = None) -> CheckResult:
    """Validate stacks, then contracts, then plan every selected instance and run its policies.

    ``threshold`` None: ``settings.harness.fail_on`` (see ``harness.thresholds``). ``nothing_selected``: the
    caller narrowed the selection on purpose (e.g. to the affected instances) and says why when it is empty.
    """
    checkov = start_checkov()  # its import overlaps validation and planning
    try:
        return _run_check(session, threshold=threshold, today=today, progress=progress,
                          nothing_selected=nothing_selected, checkov=checkov)
    finally:
        if checkov is not None:
            checkov.close()


def _run_check(session: HarnessSession, *, threshold: str | None, today: dt.date | None,
               progress: ProgressFn | None, nothing_selected: str | None,
               checkov: CheckovProcess | None) -> CheckResult:
    result = CheckResult()
    resolver = session.resolver
    result.problems = validate_stacks(resolver)
    if not any(p.kind in ("yaml", "stack") for p in result.problems):
        result.problems = sorted({*result.problems, *unnamed_stacks(resolver)})
    if any(p.kind in ("yaml", "stack") for p in result.problems):
        return result  # the stacks do not resolve: nothing further can be trusted
    instances = session.selected
    try:
        result.threshold = Severity.parse(fail_on(resolver.config.get("settings"), instances, override=threshold))
    except HarnessError as exc:
        result.problems.append(Problem("", 0, exc.message, "settings"))
        return result
    if not instances:
        if nothing_selected is not None:
            result.nothing_selected = nothing_selected
        else:
            result.empty = _why_empty(session)
        return result
    load_user_policies(resolver.config.base_path)
    result.checked = len(instances)
    result.contracts = check_contracts(resolver, instances)
    planned = []
    for i, inst in enumerate(instances, start=1):
        if progress is not None:
            progress(i, len(instances), inst.id)
        try:
            planned.append((inst, session.plan(inst)))
        except HarnessError as exc:
            result.plan_errors[inst.id] = str(exc)
    evaluation = evaluate_all(planned, today=today, process=checkov)
    result.policies, result.notes = evaluation.results, evaluation.notes
    return result
