"""``harness check``: stack validation, contracts and policies over every (or the selected) instance.

One pass that CI and pre-commit run before anything is planned for real; returns data, the CLI prints it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.atmos.validate import Problem, validate_stacks
from harness.contracts import ContractFinding, check_contracts
from harness.errors import HarnessError
from harness.policy import Outcome, PolicyResult, Severity, evaluate_all, load_user_policies
from harness.session import HarnessSession

ProgressFn = Callable[[int, int, str], None]


@dataclass
class CheckResult:
    """Everything a check found, and the verdict for a threshold."""

    problems: list[Problem] = field(default_factory=list)
    contracts: list[ContractFinding] = field(default_factory=list)
    policies: list[PolicyResult] = field(default_factory=list)
    plan_errors: dict[str, str] = field(default_factory=dict)
    threshold: Severity = Severity.INFO
    notes: list[str] = field(default_factory=list)

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
        return (not self.problems and not self.contracts and not self.plan_errors and not self.failures()
                and not any(r.errors for r in self.policies))

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
            cell["contract"] = cell.get("contract", 0) + 1
        for instance_id in self.plan_errors:
            stack, _, component = instance_id.partition("/")
            cell = cells.setdefault((stack, component), {})
            cell["error"] = cell.get("error", 0) + 1
        return cells

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "threshold": self.threshold.name.lower(),
            "problems": [p.to_json() for p in self.problems],
            "contracts": [c.to_json() for c in self.contracts],
            "plan_errors": dict(sorted(self.plan_errors.items())),
            "policies": [r.to_json() for r in self.policies],
            "failures": [f.to_json() for f in self.failures()],
            "notes": list(self.notes),
        }


def run_check(session: HarnessSession, *, threshold: str = "info", today: dt.date | None = None,
              progress: ProgressFn | None = None) -> CheckResult:
    """Validate stacks, then contracts, then plan every selected instance and run its policies."""
    result = CheckResult(threshold=Severity.parse(threshold))
    resolver = session.resolver
    result.problems = validate_stacks(resolver)
    if any(p.kind in ("yaml", "stack") for p in result.problems):
        return result  # the stacks do not resolve: nothing further can be trusted
    load_user_policies(resolver.config.base_path)
    instances = session.selected
    result.contracts = check_contracts(resolver, instances)
    planned = []
    for i, inst in enumerate(instances, start=1):
        if progress is not None:
            progress(i, len(instances), inst.id)
        try:
            planned.append((inst, session.plan(inst)))
        except HarnessError as exc:
            result.plan_errors[inst.id] = str(exc)
    evaluation = evaluate_all(planned, today=today)
    result.policies, result.notes = evaluation.results, evaluation.notes
    return result
