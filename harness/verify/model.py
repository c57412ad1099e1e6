"""Results of post-deploy validation: one ``CheckResult`` per check, grouped per instance.

Drift is a failed check. An undetermined check (the API is not served, access is denied, an input
is unknown) is reported with its reason but is not drift: it says what could not be proven.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class CheckResult:
    """One check of one instance: what the stack says (expected), what AWS has (actual)."""

    check: str
    status: Status
    expected: Any
    actual: Any
    reason: str = ""

    @property
    def drift(self) -> bool:
        return self.status is Status.FAIL

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"check": self.check, "status": self.status.value, "expected": self.expected,
                                "actual": self.actual}
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class InstanceReport:
    """The checks of one (stack, component) instance and where its facts came from."""

    stack: str
    component: str
    account_id: str | None
    outputs_source: str
    results: list[CheckResult] = field(default_factory=list)
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.stack}/{self.component}"

    @property
    def drift(self) -> list[CheckResult]:
        return [r for r in self.results if r.drift]

    def by_name(self) -> dict[str, CheckResult]:
        return {r.check: r for r in self.results}

    def status_of(self, check: str) -> Status:
        return self.by_name()[check].status

    def failed(self) -> set[str]:
        return {r.check for r in self.results if r.status is Status.FAIL}

    def undetermined(self) -> set[str]:
        return {r.check for r in self.results if r.status is Status.UNDETERMINED}

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "component": self.component, "account_id": self.account_id,
                "outputs_source": self.outputs_source, "note": self.note,
                "results": [r.to_json() for r in self.results]}


def plain(value: Any) -> Any:
    """JSON-ready and order-independent where order carries no meaning (sets become sorted lists)."""
    if isinstance(value, (set, frozenset)):
        items = [plain(v) for v in value]
        return sorted(items, key=lambda v: repr(v))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value
