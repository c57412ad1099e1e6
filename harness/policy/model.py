"""The vocabulary of policies: severities, parameters, the context a policy reads, violations and findings.

A policy is a pure function: it reads a ``Plan`` and a ``PolicyContext`` (the instance's
stack, component, settings and the policy's parameters) and yields ``Violation``s. The
evaluator turns violations into ``Finding``s (adding the policy's metadata, the stack and
the ``.tf`` file:line) and applies waivers. A value the policy needs that is only known
after apply gives an ``undetermined`` finding, never a pass.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.plan import Plan, Resource, SourceLocation, Undetermined
from harness.plan.model import to_jsonable

if TYPE_CHECKING:
    from harness.atmos import Instance
    from harness.policy.waivers import Waiver


class PolicyError(HarnessError):
    """A policy definition, a policy setting or a waiver is invalid."""


class Severity(enum.IntEnum):
    """How bad a failure is; ordered, so ``severity >= Severity.MEDIUM`` reads naturally."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        """``"high"`` (any case) or a Severity; anything else is a PolicyError listing the choices."""
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            choices = ", ".join(str(s) for s in cls)
            raise PolicyError(f"unknown severity {value!r} (choose from {choices})") from None


class Outcome(enum.StrEnum):
    """What happened to one finding."""

    FAIL = "fail"
    UNDETERMINED = "undetermined"
    WAIVED = "waived"


@dataclass(frozen=True)
class Param:
    """A policy parameter: its default and what it means (shown by the catalog)."""

    default: Any
    description: str = ""


@dataclass(frozen=True)
class PolicyContext:
    """What a policy may read besides the plan: the instance's identity, settings and its own params.

    ``settings`` is the instance's whole ``settings`` section (``settings.harness`` holds
    the harness's own keys); ``default_tags`` are the AWS provider's ``default_tags``
    when the caller knows them (they are merged into every resource's tags).
    """

    stack: str
    component: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    vars: Mapping[str, Any] = field(default_factory=dict)
    backend: Mapping[str, Any] = field(default_factory=dict)
    backend_type: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    default_tags: Mapping[str, Any] = field(default_factory=dict)
    #: The resolved instance, when the caller has one (policies that name the manifest line of a value).
    instance: Instance | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_instance(cls, instance: Instance, *, default_tags: Mapping[str, Any] | None = None) -> PolicyContext:
        """The context of a resolved Atmos instance."""
        return cls(stack=instance.stack, component=instance.component, settings=instance.settings,
                   vars=instance.vars, backend=instance.backend, backend_type=instance.backend_type,
                   default_tags=dict(default_tags or {}), instance=instance)

    @property
    def harness(self) -> Mapping[str, Any]:
        """``settings.harness``, or an empty mapping."""
        value = self.settings.get("harness")
        return value if isinstance(value, Mapping) else {}

    @property
    def stage(self) -> str | None:
        """The instance's ``vars.stage`` (Atmos naming convention), when set."""
        stage = self.vars.get("stage")
        return None if stage is None else str(stage)

    def param(self, name: str) -> Any:
        """One parameter value (defaults merged with the stack's ``params``)."""
        if name not in self.params:
            raise PolicyError(f"policy parameter {name!r} is not declared (declared: {', '.join(self.params)})")
        return self.params[name]


@dataclass(frozen=True)
class Violation:
    """What a policy function yields: one offending resource (or the plan as a whole)."""

    message: str
    resource: Resource | None = None
    value: Any = None
    path: str | None = None
    undetermined: bool = False
    ref: str | None = None


def violation(resource: Resource | None, message: str, *, value: Any = None, path: str | None = None) -> Violation:
    """A failure at ``resource`` (None: the plan as a whole)."""
    return Violation(message=message, resource=resource, value=value, path=path)


def undetermined(resource: Resource | None, reason: str | Undetermined, *, path: str | None = None) -> Violation:
    """The policy cannot decide for ``resource``: a value it needs is only known after apply."""
    if isinstance(reason, Undetermined):
        return Violation(message=str(reason), resource=resource, path=reason.path or path, undetermined=True,
                         ref=reason.ref)
    return Violation(message=reason, resource=resource, path=path, undetermined=True)


PlanCheck = Callable[[Plan, PolicyContext], Iterable[Violation] | None]
ResourceCheck = Callable[[Resource, Plan, PolicyContext], Iterable[Violation] | None]


@dataclass(frozen=True)
class Policy:
    """A registered policy: metadata plus the check function.

    ``resource_types`` set: ``check(resource, plan, ctx)`` runs once per managed resource of
    those types, and an ``Undetermined`` it raises concerns that resource only. Otherwise
    ``check(plan, ctx)`` runs once per plan.
    """

    id: str
    title: str
    severity: Severity
    check: Callable[..., Iterable[Violation] | None]
    rationale: str = ""
    controls: tuple[str, ...] = ()
    params: Mapping[str, Param] = field(default_factory=dict)
    resource_types: tuple[str, ...] = ()
    origin: str = "builtin"
    applies_to: tuple[str, ...] = ()

    @property
    def scope(self) -> tuple[str, ...]:
        """Resource types whose presence makes the policy applicable (empty: any managed resource)."""
        return self.applies_to or self.resource_types

    @property
    def defaults(self) -> dict[str, Any]:
        """Parameter name -> default value."""
        return {name: p.default for name, p in self.params.items()}

    def to_json(self) -> dict[str, Any]:
        """The catalog entry."""
        return {
            "id": self.id,
            "title": self.title,
            "severity": str(self.severity),
            "controls": list(self.controls),
            "rationale": self.rationale,
            "params": {name: {"default": p.default, "description": p.description} for name, p in self.params.items()},
            "resource_types": list(self.resource_types),
            "applies_to": list(self.scope),
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Finding:
    """One result of one policy on one resource of one instance."""

    policy: str
    severity: Severity
    outcome: Outcome
    stack: str
    component: str
    address: str | None
    message: str
    source: SourceLocation | None = None
    value: Any = None
    path: str | None = None
    controls: tuple[str, ...] = ()
    waiver: Waiver | None = None

    @property
    def location(self) -> str | None:
        """``file:line`` of the offending block, when known."""
        return None if self.source is None else str(self.source)

    def __str__(self) -> str:
        where = self.address or "(plan)"
        src = f" ({self.location})" if self.location else ""
        head = f"[{self.outcome}] {self.severity} {self.policy} {self.stack}/{self.component}"
        return f"{head} {where}{src}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (Unknown values as their marker)."""
        return {
            "policy": self.policy,
            "severity": str(self.severity),
            "outcome": str(self.outcome),
            "stack": self.stack,
            "component": self.component,
            "address": self.address,
            "file": None if self.source is None else self.source.file,
            "line": None if self.source is None else self.source.line,
            "path": self.path,
            "value": to_jsonable(self.value),
            "message": self.message,
            "controls": list(self.controls),
            "waiver": None if self.waiver is None else self.waiver.to_json(),
        }


@dataclass
class PolicyResult:
    """Everything one evaluation of one instance produced.

    ``findings`` holds every finding (fail, undetermined, waived; sorted); ``passed`` the
    ids of policies that ran on resources they apply to and found nothing;
    ``not_applicable`` policies with no resource to apply to (never counted as passed);
    ``skipped`` policies not run (disabled or below the severity threshold); ``stale``
    waivers that matched no finding; ``errors`` broken settings, waivers or policies (each
    message names the stack). ``empty``: the plan has no managed resource at all, so
    nothing was checked.
    """

    stack: str
    component: str
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    stale: list[Waiver] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)
    empty: bool = False

    def _with(self, outcome: Outcome) -> list[Finding]:
        return [f for f in self.findings if f.outcome is outcome]

    @property
    def failures(self) -> list[Finding]:
        """Findings that fail the check."""
        return self._with(Outcome.FAIL)

    @property
    def undetermined(self) -> list[Finding]:
        """Findings that could not be decided (never a pass)."""
        return self._with(Outcome.UNDETERMINED)

    @property
    def waived(self) -> list[Finding]:
        """Findings covered by a valid waiver."""
        return self._with(Outcome.WAIVED)

    @property
    def ok(self) -> bool:
        """No failure and no error (undetermined findings are reported apart)."""
        return not self.failures and not self.errors

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict of the whole result."""
        return {
            "stack": self.stack,
            "component": self.component,
            "findings": [f.to_json() for f in self.findings],
            "empty": self.empty,
            "passed": list(self.passed),
            "not_applicable": list(self.not_applicable),
            "skipped": list(self.skipped),
            "stale_waivers": [w.to_json() for w in self.stale],
            "errors": list(self.errors),
        }
